"""The dashboard's numbers, read from aggregates only (a handful of Queries, never a count).

Each chart is one Query on ``security_aggregates``:

- findings by severity / compliance status / workflow status / account: ``findings#<dimension>``,
  buckets ``<record state>#<value>`` (``Query bucket begins_with "ACTIVE#"``);
- top failing controls: ``findings#control_failed`` (buckets ``<record state>#<control id>``,
  findings whose compliance status is FAILED). Where no writer keeps that aggregate yet, the chart
  falls back to ``findings#control`` (all findings per control) and says so (``controls_basis``);
- remediations over time: ``executions#day`` (buckets ``<YYYY-MM-DD>#<status>``), the days of the
  window only (``bucket >= <first day>``);
- mean time to remediate, over the window and per day: ``executions#mttr`` (see
  `ouroboros.aggregates.remediation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from ouroboros.aggregates import summary_counts
from ouroboros.aggregates.remediation import MTTR_AGGREGATE
from ouroboros.models import AggregateModel
from ouroboros.models.findings import SEVERITY_RANK

SEVERITIES = tuple(sorted(SEVERITY_RANK, key=lambda s: -SEVERITY_RANK[s]))
COMPLIANCE = ("FAILED", "WARNING", "NOT_AVAILABLE", "PASSED")
WORKFLOW = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
TOP = 10


@dataclass
class DayRemediations:
    """Executions that started on ``day``, by status, and the MTTR of the findings fixed then."""

    day: date
    by_status: dict[str, int] = field(default_factory=dict)
    fixed_seconds: int = 0
    fixed_count: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def mttr_seconds(self) -> float | None:
        """Mean time to remediate of the findings fixed on ``day`` (None: none was)."""
        return self.fixed_seconds / self.fixed_count if self.fixed_count else None


@dataclass
class Dashboard:
    """Everything the dashboard draws."""

    record_state: str
    days: int
    totals: dict[str, int]
    by_severity: list[tuple[str, int]]
    by_compliance: list[tuple[str, int]]
    by_workflow: list[tuple[str, int]]
    by_account: list[tuple[str, int]]
    top_controls: list[tuple[str, int]]
    controls_basis: str
    remediations: list[DayRemediations]
    mttr_seconds: float | None
    mttr_count: int
    query_count: int = 0


def _buckets(aggregate_id: str, prefix: str) -> dict[str, int]:
    condition = AggregateModel.bucket.startswith(prefix)
    return {
        item.bucket.removeprefix(prefix): int(item.total or 0)
        for item in AggregateModel.query(aggregate_id, condition)
        if item.value is None
    }


def _since(aggregate_id: str, first_day: str) -> dict[str, int]:
    return {
        item.bucket: int(item.total or 0)
        for item in AggregateModel.query(aggregate_id, AggregateModel.bucket >= first_day)
        if item.value is None
    }


def _ordered(counts: dict[str, int], order: tuple[str, ...]) -> list[tuple[str, int]]:
    known = [(name, counts.get(name, 0)) for name in order]
    others = sorted((k, v) for k, v in counts.items() if k not in order and v)
    return known + others


def _top(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(((k, v) for k, v in counts.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))[
        :TOP
    ]


def dashboard_get(
    *, record_state: str = "ACTIVE", days: int = 30, today: date | None = None
) -> Dashboard:
    """The dashboard for findings in ``record_state`` and the last ``days`` days of remediation."""
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)
    prefix = f"{record_state}#"
    failed = _buckets("findings#control_failed", prefix)
    basis = "failed"
    queries = 7
    if not failed:
        failed, basis = _buckets("findings#control", prefix), "all"
        queries += 1
    per_day: dict[date, DayRemediations] = {
        first + timedelta(days=n): DayRemediations(first + timedelta(days=n)) for n in range(days)
    }
    for bucket, total in _since("executions#day", first.isoformat()).items():
        day_text, _, status = bucket.partition("#")
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            continue
        if day in per_day and status:
            per_day[day].by_status[status] = per_day[day].by_status.get(status, 0) + total
    for bucket, total in _since(MTTR_AGGREGATE, first.isoformat()).items():
        day_text, _, kind = bucket.partition("#")
        try:
            remediated = per_day.get(date.fromisoformat(day_text))
        except ValueError:
            continue
        if remediated is not None and kind == "seconds":
            remediated.fixed_seconds += total
        elif remediated is not None and kind == "count":
            remediated.fixed_count += total
    seconds = sum(d.fixed_seconds for d in per_day.values())
    count = sum(d.fixed_count for d in per_day.values())
    return Dashboard(
        record_state=record_state,
        days=days,
        totals=summary_counts(),
        by_severity=_ordered(_buckets("findings#severity", prefix), SEVERITIES),
        by_compliance=_ordered(_buckets("findings#compliance", prefix), COMPLIANCE),
        by_workflow=_ordered(_buckets("findings#workflow", prefix), WORKFLOW),
        by_account=_top(_buckets("findings#account", prefix)),
        top_controls=_top(failed),
        controls_basis=basis,
        remediations=[per_day[d] for d in sorted(per_day)],
        mttr_seconds=(seconds / count) if count else None,
        mttr_count=count,
        query_count=queries + 2,
    )
