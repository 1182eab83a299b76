"""Numbers a security lead can trust: fixes apart from other outcomes, median and p90 time to
remediate from the histogram, exemptions about to expire, the failing controls' coverage, and
top failing controls tied by severity. Seeded through the real writers (`execution_record`,
`remediation_time_remove`), expected values computed here from the seed."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, date, datetime, timedelta

import pytest

from ouroboros.aggregates import aggregate_add, aggregate_read
from ouroboros.aggregates.dashboard import dashboard_get
from ouroboros.aggregates.remediation import (
    TTR_AGGREGATE,
    remediation_time_remove,
    ttr_bucket,
    ttr_bucket_bounds,
    ttr_quantile,
)
from ouroboros.executions.services import execution_record
from ouroboros.models import ControlModel, ExecutionModel, HubReactorModel
from ouroboros.models.controls import Exemption
from ouroboros.reactors.catalog import LATEST
from ouroboros.securityhub.asff import NormalizedFinding, asff_parse
from tests.conftest import load_event

pytestmark = pytest.mark.functional

TODAY = date(2026, 11, 20)
NOON = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _finding(observed: datetime) -> NormalizedFinding:
    raw = load_event("asff_findings/asr_afsbp_s3.2.json")
    finding = asff_parse(raw["Findings"][0] if "Findings" in raw else raw)
    stamp = observed.isoformat().replace("+00:00", "Z")
    return dataclasses.replace(finding, first_observed_at=stamp, created_at=stamp)


def _true_quantile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def _ended(observed: datetime, *, status: str = "succeeded", **fields: object) -> ExecutionModel:
    finished = NOON.isoformat().replace("+00:00", "Z")
    return execution_record(
        finding=_finding(observed), status=status, finished_at=finished, **fields
    )  # type: ignore[misc]


def test_quantiles_land_in_the_bucket_of_the_true_value() -> None:
    seconds = [5, 40, 300, 301, 3600, 7200, 86400, 86400 * 30, 86400 * 1900]
    histogram: dict[int, int] = {}
    for value in seconds:
        histogram[ttr_bucket(value)] = histogram.get(ttr_bucket(value), 0) + 1
        lower, upper = ttr_bucket_bounds(ttr_bucket(value))
        assert lower < value <= upper
    for q in (0.5, 0.9, 1.0):
        estimate = ttr_quantile(histogram, q)
        assert estimate is not None
        assert ttr_bucket(estimate) == ttr_bucket(_true_quantile(seconds, q))
    assert ttr_quantile({}, 0.5) is None


def test_fixes_are_counted_apart_and_one_old_finding_does_not_make_the_median(
    moto_aws: None,
) -> None:
    hours = [1, 2, 3, 5, 8, 13, 21]  # the fixes' times to remediate
    for h in hours:
        _ended(NOON - timedelta(hours=h))
    old = NOON - datetime(2021, 3, 1, tzinfo=UTC)  # first observed in 2021: years
    _ended(NOON - old)
    for _ in range(3):
        _ended(NOON, dry_run=True)
    for _ in range(6):
        _ended(NOON, status="skipped", skip_reason="mode off")
    _ended(NOON, status="failed", error="boom")
    rolled = _ended(NOON - timedelta(hours=4))
    _ended(NOON, trigger="rollback", rollback_of=rolled.execution_id)
    stored = ExecutionModel.get(rolled.execution_id)
    remediation_time_remove(day=stored.mttr_day, seconds=int(stored.mttr_seconds))

    board = dashboard_get(today=TODAY, days=30, now=NOON)

    standing = [h * 3600 for h in hours] + [int(old.total_seconds())]
    assert board.outcomes == {
        "fixed": len(standing),
        "dry_run": 3,
        "skipped": 6,
        "failed": 1,
        "rolled_back": 1,
    }
    assert board.fixed == 8 and board.remediations[-1].fixed == 8
    assert board.ttr_count == len(standing)
    median, p90 = board.ttr_median_seconds, board.ttr_p90_seconds
    assert median is not None and p90 is not None
    assert ttr_bucket(median) == ttr_bucket(_true_quantile(standing, 0.5))  # hours, not years
    assert median < 6 * 3600
    assert ttr_bucket(p90) == ttr_bucket(_true_quantile(standing, 0.9))
    assert sum(aggregate_read(TTR_AGGREGATE).values()) == len(standing)  # the rollback's left


def test_exemptions_expiring_within_14_days_are_listed_soonest_first(moto_aws: None) -> None:
    def exemption(n: int, expires: datetime | None) -> Exemption:
        return Exemption(
            exemption_id=f"e{n}",
            account="111111111111",
            expires_at=expires,
            reason=f"reason {n}",
            created_by="alice",
            created_at=NOON - timedelta(days=30),
        )

    ControlModel(
        "S3.2",
        severity="CRITICAL",
        exemptions=[
            exemption(1, NOON + timedelta(days=13)),
            exemption(2, NOON + timedelta(days=15)),  # beyond the horizon
            exemption(3, NOON - timedelta(hours=1)),  # already expired
            exemption(4, None),  # never expires
        ],
    ).save()
    ControlModel(
        "EC2.19", severity="CRITICAL", exemptions=[exemption(5, NOON + timedelta(days=2))]
    ).save()

    board = dashboard_get(today=TODAY, now=NOON)

    assert [(e.control_id, e.exemption_id) for e in board.exemptions_expiring] == [
        ("EC2.19", "e5"),
        ("S3.2", "e1"),
    ]
    assert board.exemptions_expiring[1].scope == "111111111111"


def test_coverage_counts_failing_controls_with_and_without_a_reactor_and_ties_go_by_severity(
    moto_aws: None,
) -> None:
    HubReactorModel(
        "s3-public-read",
        "1.0.0",
        artifact_key="k",
        sha256="0" * 64,
        status="verified",
        latest=LATEST,
        control_ids=["S3.2", "S3.5"],
    ).save()
    ControlModel("S3.5", severity="MEDIUM", reactor_id="s3-public-read", mode="auto").save()
    # S3.1 MEDIUM, S3.5 MEDIUM, Lambda.1 CRITICAL, IAM.1 HIGH: equal counts; EC2.19 has more.
    aggregate_add(
        "findings#control_failed",
        {
            "ACTIVE#S3.1": 2,
            "ACTIVE#S3.5": 2,
            "ACTIVE#Lambda.1": 2,
            "ACTIVE#IAM.1": 2,
            "ACTIVE#EC2.19": 5,
            "ARCHIVED#S3.2": 9,  # archived: not failing now
        },
    )

    board = dashboard_get(today=TODAY, now=NOON)

    assert [c for c, _ in board.top_controls] == ["EC2.19", "Lambda.1", "IAM.1", "S3.1", "S3.5"]
    assert board.coverage is not None
    assert (board.coverage.failing, board.coverage.with_reactor) == (5, 1)
    assert board.coverage.without_reactor == 4 and board.coverage.assigned == 1
    assert board.coverage.uncovered == ["EC2.19", "IAM.1", "Lambda.1", "S3.1"]
