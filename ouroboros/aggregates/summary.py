"""The dashboard summary: every headline number, read from the aggregates (one Query each).

`summary_get` is the selector behind ``GET /api/v1/summary``. It never counts items: it reads the
counters writers keep in ``security_aggregates`` (see `ouroboros.aggregates` for the contract of
aggregate ids and buckets) and reshapes them:

- ``findings#<dimension>`` buckets are ``<record state>#<value>``; only the buckets of the
  requested record state are returned, keyed by value;
- ``executions#day`` buckets are ``<YYYY-MM-DD>#<outcome>`` (fixed, dry_run, skipped, failed,
  rolled_back: `ouroboros.aggregates.remediation`); the Query starts at the first day
  asked for (a range condition on the sort key), so old days are never read;
- ``executions#ttr`` buckets are ``<YYYY-MM-DD>#b<index>`` (the time-to-remediate histogram of
  `ouroboros.aggregates.remediation`): the median and p90 over the same days, as the dashboard
  shows them, and how many fixes they are of.

Buckets whose count is zero are left out (a counter that went back to zero means "none").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal, cast

from ouroboros.aggregates.remediation import TTR_AGGREGATE, ttr_histogram, ttr_quantile
from ouroboros.errors import ValidationError
from ouroboros.models import AggregateModel

RecordState = Literal["ACTIVE", "ARCHIVED"]
RECORD_STATES: tuple[RecordState, ...] = ("ACTIVE", "ARCHIVED")
FINDING_DIMENSIONS = ("severity", "compliance", "workflow", "account")
MAX_DAYS = 90


@dataclass(frozen=True)
class ExecutionDay:
    """Remediation attempts of one day (UTC), by status."""

    day: date
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class Summary:
    """What a dashboard shows: controls, findings by dimension, executions per day."""

    record_state: RecordState
    controls: int
    findings_active: int
    findings_archived: int
    findings_by: dict[str, dict[str, int]] = field(default_factory=dict)
    executions: list[ExecutionDay] = field(default_factory=list)
    ttr: TimeToRemediate | None = None


@dataclass(frozen=True)
class TimeToRemediate:
    """Seconds from first observed to fixed, over the summary's days (None: no fix counted)."""

    median_seconds: float | None
    p90_seconds: float | None
    count: int


def _counters(items: Iterable[AggregateModel]) -> dict[str, int]:
    return {item.bucket: int(item.total or 0) for item in items if item.value is None}


def _by_value(buckets: dict[str, int], record_state: str) -> dict[str, int]:
    prefix = f"{record_state}#"
    return {
        bucket[len(prefix) :]: count
        for bucket, count in sorted(buckets.items())
        if bucket.startswith(prefix) and count
    }


def _executions(since: date) -> list[ExecutionDay]:
    buckets = _counters(
        AggregateModel.query("executions#day", AggregateModel.bucket >= since.isoformat())
    )
    days: dict[str, dict[str, int]] = {}
    for bucket, count in sorted(buckets.items()):
        day, _, status = bucket.partition("#")
        if count and status:
            days.setdefault(day, {})[status] = count
    return [ExecutionDay(day=date.fromisoformat(day), by_status=s) for day, s in days.items()]


def _time_to_remediate(since: date) -> TimeToRemediate:
    buckets = _counters(
        AggregateModel.query(TTR_AGGREGATE, AggregateModel.bucket >= since.isoformat())
    )
    histogram = ttr_histogram(
        (bucket.partition("#")[2], count) for bucket, count in buckets.items()
    )
    return TimeToRemediate(
        median_seconds=ttr_quantile(histogram, 0.5),
        p90_seconds=ttr_quantile(histogram, 0.9),
        count=sum(histogram.values()),
    )


def summary_get(
    *, record_state: str = "ACTIVE", days: int = 14, today: date | None = None
) -> Summary:
    """The dashboard numbers for findings in ``record_state`` and executions of the last ``days``.

    Raises `ValidationError` for an unknown record state or ``days`` outside 1..90.
    """
    if record_state not in RECORD_STATES:
        raise ValidationError(f"record_state must be one of {', '.join(RECORD_STATES)}")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(f"days must be between 1 and {MAX_DAYS}")
    today = today or datetime.now(UTC).date()
    states = _counters(AggregateModel.query("findings#state"))
    findings_by = {
        dimension: _by_value(_counters(AggregateModel.query(f"findings#{dimension}")), record_state)
        for dimension in FINDING_DIMENSIONS
    }
    return Summary(
        record_state=cast(RecordState, record_state),  # checked above
        controls=_counters(AggregateModel.query("controls")).get("total", 0),
        findings_active=states.get("ACTIVE", 0),
        findings_archived=states.get("ARCHIVED", 0),
        findings_by=findings_by,
        executions=_executions(today - timedelta(days=days - 1)),
        ttr=_time_to_remediate(today - timedelta(days=days - 1)),
    )
