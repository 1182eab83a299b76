"""Remediation outcomes and time to remediate, kept on write: the workflow and dashboard contract.

Outcomes, aggregate ``executions#day``, bucket ``<YYYY-MM-DD>#<outcome>`` per UTC day an
execution ended (`execution_outcome` names it):

- ``fixed``: a real remediation that succeeded (not a dry run, not a rollback);
- ``dry_run``: a dry run that succeeded (it changed nothing);
- ``skipped``: the workflow decided not to run (mode off, exemption, rate limit...);
- ``failed``: any run that failed (a remediation, a dry run or a rollback);
- ``rolled_back``: a rollback that succeeded. The fix it undid leaves ``fixed`` of the fix's day
  (`remediation_time_remove`), so ``fixed`` counts the fixes that still stand.

Time to remediate, aggregate ``executions#ttr``, a log-scale histogram per UTC day of
remediation: bucket ``<YYYY-MM-DD>#b<index>`` counts the fixed findings whose seconds from first
observed to fixed fall in (``2**((index-1)/4)``, ``2**(index/4)``] (index 0: one second or less;
four buckets per doubling, so a bucket is 19 % wide). `ttr_quantile` reads the median and p90
from the counts (log-interpolated inside the bucket): one old finding moves the median by one
rank, where it moved a mean by months. ``executions#mttr`` (``<day>#seconds`` / ``<day>#count``,
the sum and count of the same seconds) is still kept beside it, for the mean.

Who writes: `ouroboros.executions.services` counts an execution once, on the write that moves it
into an ending status, with `remediation_outcome_add`; for a fix it also calls
`remediation_time_add` (the finding's ``FirstObservedAt``, ``CreatedAt`` when it has none, and the
execution's ``finished_at``) and records the day and seconds on the execution (``mttr_day``,
``mttr_seconds``). A rollback of a counted fix calls `remediation_time_remove` with them, so the
fix leaves the histogram, the mean and the day's ``fixed`` as if it had never happened.
The scale issue's pre-filter counts the findings it skips with `remediation_outcome_add` too.

Who reads: `ouroboros.aggregates.dashboard.dashboard_get`, one Query per aggregate from the
first day of its window. `ouroboros.aggregates.rebuild` does not recount these: executions are
history, counted once when they end, and the findings table does not hold them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Literal

from ouroboros.aggregates import aggregate_add

OUTCOMES_AGGREGATE = "executions#day"
MTTR_AGGREGATE = "executions#mttr"
TTR_AGGREGATE = "executions#ttr"
#: Buckets per doubling of the histogram.
BUCKETS_PER_DOUBLING = 4

Outcome = Literal["fixed", "dry_run", "skipped", "failed", "rolled_back"]
#: Every outcome, in the order the dashboard stacks them.
OUTCOMES: tuple[Outcome, ...] = ("fixed", "dry_run", "skipped", "failed", "rolled_back")


def execution_outcome(*, status: str, dry_run: bool, trigger: str | None) -> Outcome | None:
    """The outcome an execution ended with, or None while it has not ended."""
    if status == "failed":
        return "failed"
    if status == "skipped":
        return "skipped"
    if status != "succeeded":
        return None
    if trigger == "rollback":
        return "rolled_back"
    return "dry_run" if dry_run else "fixed"


def remediation_outcome_add(*, outcome: Outcome, at: datetime, count: int = 1) -> None:
    """Count ``count`` executions that ended with ``outcome`` on ``at``'s UTC day."""
    day = _utc(at).strftime("%Y-%m-%d")
    aggregate_add(OUTCOMES_AGGREGATE, {f"{day}#{outcome}": count})


def ttr_bucket(seconds: float) -> int:
    """The histogram bucket of ``seconds`` (module doc)."""
    if seconds <= 1:
        return 0
    return math.ceil(BUCKETS_PER_DOUBLING * math.log2(seconds) - 1e-9)


def ttr_bucket_bounds(index: int) -> tuple[float, float]:
    """(lower, upper] seconds of bucket ``index``."""
    if index <= 0:
        return (0.0, 1.0)
    return (2 ** ((index - 1) / BUCKETS_PER_DOUBLING), 2 ** (index / BUCKETS_PER_DOUBLING))


def ttr_quantile(histogram: Mapping[int, int], q: float) -> float | None:
    """The ``q`` quantile (0 < q <= 1) of the seconds counted in ``histogram`` (bucket -> count),
    None when it counts nothing: the bucket holding rank ``ceil(q * n)``, log-interpolated by the
    rank's place among the bucket's counts."""
    counts = sorted((index, count) for index, count in histogram.items() if count > 0)
    total = sum(count for _, count in counts)
    if not total:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for index, count in counts:
        if seen + count >= rank:
            lower, upper = ttr_bucket_bounds(index)
            place = (rank - seen - 0.5) / count
            if lower <= 0:
                return upper * place
            return float(lower * (upper / lower) ** place)
        seen += count
    return None  # pragma: no cover - the ranks add up to total


def ttr_histogram(buckets: Iterable[tuple[str, int]]) -> dict[int, int]:
    """Bucket index -> count, from ``b<index>`` bucket suffixes (others are ignored)."""
    histogram: dict[int, int] = {}
    for name, count in buckets:
        if name.startswith("b") and name[1:].isdigit():
            histogram[int(name[1:])] = histogram.get(int(name[1:]), 0) + count
    return histogram


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def remediation_time_add(*, observed_at: datetime, remediated_at: datetime) -> int:
    """Count one fixed finding in the time to remediate of ``remediated_at``'s day (histogram
    and mean); return its seconds."""
    seconds = max(0, int((_utc(remediated_at) - _utc(observed_at)).total_seconds()))
    day = _utc(remediated_at).strftime("%Y-%m-%d")
    aggregate_add(TTR_AGGREGATE, {f"{day}#b{ttr_bucket(seconds)}": 1})
    aggregate_add(MTTR_AGGREGATE, {f"{day}#seconds": seconds, f"{day}#count": 1})
    return seconds


def remediation_time_remove(*, day: str, seconds: int) -> None:
    """Take one fix counted on ``day`` (``YYYY-MM-DD``) with ``seconds`` out of the time to
    remediate and out of the day's ``fixed``: it was rolled back, it no longer stands."""
    seconds = int(seconds)
    aggregate_add(TTR_AGGREGATE, {f"{day}#b{ttr_bucket(seconds)}": -1})
    aggregate_add(MTTR_AGGREGATE, {f"{day}#seconds": -seconds, f"{day}#count": -1})
    aggregate_add(OUTCOMES_AGGREGATE, {f"{day}#fixed": -1})
