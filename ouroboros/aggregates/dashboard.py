"""The dashboard's numbers: aggregates, plus the controls and reactors lists (Queries, no Scan).

Each chart is one Query on ``security_aggregates``:

- findings by severity / compliance status / workflow status / account: ``findings#<dimension>``,
  buckets ``<record state>#<value>`` (``Query bucket begins_with "ACTIVE#"``);
- top failing controls: ``findings#control_failed`` (buckets ``<record state>#<control id>``,
  findings whose compliance status is FAILED), most findings first, ties by the control's
  severity (CRITICAL first), then id. Where no writer keeps that aggregate yet, the chart falls
  back to ``findings#control`` (all findings per control) and says so (``controls_basis``);
- remediations over time: ``executions#day`` (buckets ``<YYYY-MM-DD>#<outcome>``), the days of
  the window only (``bucket >= <first day>``); "fixed" is counted apart from dry runs, skips,
  failures and rollbacks (`ouroboros.aggregates.remediation`);
- time to remediate, median and p90 over the window and the median per day: the histogram
  ``executions#ttr`` (`ouroboros.aggregates.remediation.ttr_quantile`).

Two numbers come from the controls' own items, one Query on ``kind-index`` (a few hundred
controls, never the findings):

- exemptions expiring within `EXPIRING_DAYS` days (not those already expired, which the
  control's page marks);
- the coverage figure: of the controls with active FAILED findings, how many a reactor fixes
  (in the Hub or installed here) and how many none does, from the reactor coverage selector
  (`ouroboros.reactors.coverage.reactor_coverage`, given the controls already read: the Hub's
  catalog index and the installed reactors, two more Queries); ``assigned``: how many of them
  have a reactor set, mode not off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from ouroboros.aggregates import summary_counts
from ouroboros.aggregates.remediation import (
    OUTCOMES_AGGREGATE,
    TTR_AGGREGATE,
    ttr_histogram,
    ttr_quantile,
)
from ouroboros.controls.selectors import control_list
from ouroboros.models import AggregateModel, ControlModel
from ouroboros.models.findings import SEVERITY_RANK
from ouroboros.reactors.coverage import ControlCoverage, reactor_coverage
from ouroboros.securityhub.catalog import catalog_lookup

logger = logging.getLogger(__name__)

SEVERITIES = tuple(sorted(SEVERITY_RANK, key=lambda s: -SEVERITY_RANK[s]))
COMPLIANCE = ("FAILED", "WARNING", "NOT_AVAILABLE", "PASSED")
WORKFLOW = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
TOP = 10
EXPIRING_DAYS = 14


@dataclass
class DayRemediations:
    """Executions that ended on ``day``, by outcome, and the histogram of the fixes' times."""

    day: date
    by_outcome: dict[str, int] = field(default_factory=dict)
    histogram: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_outcome.values())

    @property
    def fixed(self) -> int:
        return self.by_outcome.get("fixed", 0)

    @property
    def fixed_count(self) -> int:
        """Fixes counted in the time to remediate of ``day``."""
        return sum(self.histogram.values())

    @property
    def median_seconds(self) -> float | None:
        """Median time to remediate of the findings fixed on ``day`` (None: none was)."""
        return ttr_quantile(self.histogram, 0.5)


@dataclass(frozen=True)
class ExpiringExemption:
    """An exemption of a control that expires within the dashboard's horizon."""

    control_id: str
    exemption_id: str
    expires_at: datetime
    reason: str
    scope: str


@dataclass(frozen=True)
class FailingCoverage:
    """Controls with active FAILED findings, with and without a reactor that fixes them."""

    with_reactor: int
    without_reactor: int
    assigned: int
    uncovered: list[str]

    @property
    def failing(self) -> int:
        return self.with_reactor + self.without_reactor


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
    outcomes: dict[str, int]
    ttr_median_seconds: float | None
    ttr_p90_seconds: float | None
    ttr_count: int
    exemptions_expiring: list[ExpiringExemption]
    coverage: FailingCoverage | None
    query_count: int = 0

    @property
    def fixed(self) -> int:
        return self.outcomes.get("fixed", 0)


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


def _severity_of(control_id: str, severities: dict[str, str]) -> int:
    severity = severities.get(control_id)
    if severity is None:
        known = catalog_lookup(control_id)
        severity = known.severity.upper() if known else ""
    return -SEVERITY_RANK.get(severity, -1)


def _top_controls(counts: dict[str, int], severities: dict[str, str]) -> list[tuple[str, int]]:
    rows = [(k, v) for k, v in counts.items() if v > 0]
    rows.sort(key=lambda kv: (-kv[1], _severity_of(kv[0], severities), kv[0]))
    return rows[:TOP]


def _per_day(first: date, days: int) -> dict[date, DayRemediations]:
    return {
        first + timedelta(days=n): DayRemediations(first + timedelta(days=n)) for n in range(days)
    }


def _day_buckets(
    buckets: dict[str, int], per_day: dict[date, DayRemediations]
) -> list[tuple[DayRemediations, str, int]]:
    found = []
    for bucket, total in buckets.items():
        day_text, _, name = bucket.partition("#")
        try:
            remediated = per_day.get(date.fromisoformat(day_text))
        except ValueError:
            continue
        if remediated is not None and name and total:
            found.append((remediated, name, total))
    return found


def _expiring(controls: list[ControlModel], now: datetime) -> list[ExpiringExemption]:
    horizon = now + timedelta(days=EXPIRING_DAYS)
    found = []
    for control in controls:
        for exemption in control.exemptions or []:
            expires = exemption.expires_at
            if expires is None or not now < expires <= horizon:
                continue
            scope = ", ".join(
                part
                for part in (exemption.account, exemption.resource_pattern, exemption.tag)
                if part
            )
            found.append(
                ExpiringExemption(
                    control_id=control.control_id,
                    exemption_id=exemption.exemption_id,
                    expires_at=expires,
                    reason=exemption.reason,
                    scope=scope,
                )
            )
    return sorted(found, key=lambda e: (e.expires_at, e.control_id))


def _coverage(failing: set[str], controls: list[ControlModel]) -> FailingCoverage | None:
    """Coverage of the ``failing`` controls (``controls``: every control item, read once for the
    whole dashboard); None (logged) when the Hub cannot be read."""
    try:
        rows = reactor_coverage(controls=controls).controls
    except Exception as exc:  # the Hub unreachable must not take the whole dashboard down
        logger.warning("dashboard: reactor coverage not read: %s", exc)
        return None
    by_id: dict[str, ControlCoverage] = {row.control_id.lower(): row for row in rows}
    covered = [c for c in failing if (row := by_id.get(c.lower())) and row.has_reactor]
    assigned = [c for c in failing if (row := by_id.get(c.lower())) and row.mode != "off"]
    return FailingCoverage(
        with_reactor=len(covered),
        without_reactor=len(failing) - len(covered),
        assigned=len(assigned),
        uncovered=sorted(failing - set(covered)),
    )


def dashboard_get(
    *,
    record_state: str = "ACTIVE",
    days: int = 30,
    today: date | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """The dashboard for findings in ``record_state`` and the last ``days`` days of remediation
    (``today``: the last day of the window; ``now``: the start of the exemptions' horizon)."""
    now = now or datetime.now(UTC)
    today = today or now.date()
    first = today - timedelta(days=days - 1)
    prefix = f"{record_state}#"
    failed = _buckets("findings#control_failed", prefix)
    basis = "failed"
    queries = 7
    if not failed:
        failed, basis = _buckets("findings#control", prefix), "all"
        queries += 1
    per_day = _per_day(first, days)
    for day, outcome, total in _day_buckets(_since(OUTCOMES_AGGREGATE, first.isoformat()), per_day):
        day.by_outcome[outcome] = day.by_outcome.get(outcome, 0) + total
    for day, name, total in _day_buckets(_since(TTR_AGGREGATE, first.isoformat()), per_day):
        for index, count in ttr_histogram([(name, total)]).items():
            day.histogram[index] = day.histogram.get(index, 0) + count
    window: dict[int, int] = {}
    outcomes: dict[str, int] = {}
    for day in per_day.values():
        for index, count in day.histogram.items():
            window[index] = window.get(index, 0) + count
        for outcome, count in day.by_outcome.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    controls = control_list().items
    severities = {c.control_id: (c.severity or "").upper() for c in controls}
    failing = (
        {c for c, n in failed.items() if n > 0}
        if basis == "failed"
        else {c.control_id for c in controls if (c.failed_count or 0) > 0}
    )
    return Dashboard(
        record_state=record_state,
        days=days,
        totals=summary_counts(),
        by_severity=_ordered(_buckets("findings#severity", prefix), SEVERITIES),
        by_compliance=_ordered(_buckets("findings#compliance", prefix), COMPLIANCE),
        by_workflow=_ordered(_buckets("findings#workflow", prefix), WORKFLOW),
        by_account=_top(_buckets("findings#account", prefix)),
        top_controls=_top_controls(failed, severities),
        controls_basis=basis,
        remediations=[per_day[d] for d in sorted(per_day)],
        outcomes=outcomes,
        ttr_median_seconds=ttr_quantile(window, 0.5),
        ttr_p90_seconds=ttr_quantile(window, 0.9),
        ttr_count=sum(window.values()),
        exemptions_expiring=_expiring(controls, now),
        coverage=_coverage(failing, controls),
        query_count=queries + 2 + 1 + 2,
    )
