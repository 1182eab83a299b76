"""Mean time to remediate (MTTR), kept on write: the contract of the workflow and the dashboard.

Aggregate ``executions#mttr``, two buckets per UTC day of remediation:

- ``<YYYY-MM-DD>#seconds``: the sum, in whole seconds, of (remediated at - first observed at) of
  the findings remediated that day;
- ``<YYYY-MM-DD>#count``: how many findings that sum covers.

Who writes: the remediation workflow calls `remediation_time_add` once per finding it fixed:
when an execution ends ``succeeded`` and was not a dry run (skipped, failed, rolled-back and
dry-run executions do not count), with the finding's ``FirstObservedAt`` (``CreatedAt`` when the
finding has none) and the execution's ``finished_at``. It runs after the idempotent execution
record is written, so a replayed event does not count twice. A rollback of a counted
remediation calls `remediation_time_remove` with the bucket the execution recorded
(``mttr_day``, ``mttr_seconds``), so MTTR is as if the fix had never happened.

Who reads: `ouroboros.aggregates.dashboard.dashboard_get` adds the buckets of the days in its
window: MTTR = sum(seconds) / sum(count). One Query, whatever the number of findings.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ouroboros.aggregates import aggregate_add

MTTR_AGGREGATE = "executions#mttr"


def remediation_time_add(*, observed_at: datetime, remediated_at: datetime) -> int:
    """Count one remediated finding in the MTTR of ``remediated_at``'s day; return its seconds."""
    if observed_at.tzinfo is None:
        observed_at = observed_at.replace(tzinfo=UTC)
    if remediated_at.tzinfo is None:
        remediated_at = remediated_at.replace(tzinfo=UTC)
    seconds = max(0, int((remediated_at - observed_at).total_seconds()))
    day = remediated_at.astimezone(UTC).strftime("%Y-%m-%d")
    aggregate_add(MTTR_AGGREGATE, {f"{day}#seconds": seconds, f"{day}#count": 1})
    return seconds


def remediation_time_remove(*, day: str, seconds: int) -> None:
    """Take one remediation counted on ``day`` (``YYYY-MM-DD``) with ``seconds`` out of MTTR:
    the fix was rolled back, so the finding is no longer remediated."""
    aggregate_add(MTTR_AGGREGATE, {f"{day}#seconds": -int(seconds), f"{day}#count": -1})
