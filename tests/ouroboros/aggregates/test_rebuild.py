"""aggregates_rebuild on DynamoDB Local: corrupted counters are found, fixed, and stay fixed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ouroboros.aggregates import aggregate_add, aggregate_read, summary_counts
from ouroboros.aggregates.rebuild import aggregates_rebuild
from ouroboros.findings.services import finding_upsert_batch
from ouroboros.models import ControlModel, FindingModel
from tests.ouroboros.findings.conftest import WriteCounter, parsed, sample_raws, variant

pytestmark = pytest.mark.integration

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _written() -> dict[str, dict[str, int]]:
    raws = sample_raws()
    raws += [variant(raws[0], 1, RecordState="ARCHIVED"), variant(raws[1], 2)]
    finding_upsert_batch(findings=parsed(raws), now=NOW)
    return {
        name: aggregate_read(name)
        for name in ("findings#state", "findings#severity", "findings#control")
    }


def test_no_drift_after_the_writer_and_nothing_written(
    ddb_tables: str, writes: WriteCounter
) -> None:
    _written()
    writes.calls.clear()
    report = aggregates_rebuild()
    assert (report.findings, report.drift, report.updates) == (20, [], 0)
    assert writes.total == 0


def test_corrupted_counters_are_reported_by_check_and_fixed_by_rebuild(
    ddb_tables: str, writes: WriteCounter
) -> None:
    right = _written()
    failed_ec2 = ControlModel.get("EC2.2", "CONTROL").failed_count
    iam8 = right["findings#control"]["ACTIVE#IAM.8"]
    # Corrupt: a wrong total, a bucket that should not exist, a lost bucket, a failed_count.
    aggregate_add("findings#state", {"ACTIVE": 7})
    aggregate_add("findings#severity", {"ACTIVE#LOW": 3})
    aggregate_add("findings#control", {"ACTIVE#IAM.8": -2})
    ControlModel.get("EC2.2", "CONTROL").update(actions=[ControlModel.failed_count.set(99)])
    assert summary_counts()["findings_active"] == right["findings#state"]["ACTIVE"] + 7

    writes.calls.clear()
    check = aggregates_rebuild(check=True)
    drifted = {(d.aggregate_id, d.bucket): (d.stored, d.actual) for d in check.drift}
    assert drifted == {
        ("findings#state", "ACTIVE"): (right["findings#state"]["ACTIVE"] + 7, 19),
        ("findings#severity", "ACTIVE#LOW"): (3, 0),
        ("findings#control", "ACTIVE#IAM.8"): (iam8 - 2, iam8),
        ("control#failed_count", "EC2.2"): (99, failed_ec2),
    }
    assert (check.updates, writes.total) == (0, 0)  # --check writes nothing
    assert summary_counts()["findings_active"] == 26

    fixed = aggregates_rebuild()
    assert fixed.updates == 4
    assert (
        aggregate_read("findings#state")
        == right["findings#state"]
        == {
            "ACTIVE": 19,
            "ARCHIVED": 1,
        }
    )
    assert aggregate_read("findings#control") == right["findings#control"]
    assert aggregate_read("findings#severity").get("ACTIVE#LOW", 0) == 0
    assert ControlModel.get("EC2.2", "CONTROL").failed_count == failed_ec2 != 99
    assert summary_counts()["findings_active"] == 19

    writes.calls.clear()
    again = aggregates_rebuild()  # idempotent
    assert (again.drift, again.updates, writes.total) == ([], 0, 0)


def test_a_finding_written_behind_the_writers_back_is_counted(ddb_tables: str) -> None:
    _written()
    (extra,) = parsed([variant(sample_raws()[0], 3, RecordState="ARCHIVED")])
    FindingModel(
        extra.finding_id,
        product_arn=extra.product_arn,
        account_id=extra.account_id,
        severity_label=extra.severity_label,
        record_state="ARCHIVED",
        updated_at=extra.updated_at,
    ).save()
    report = aggregates_rebuild()
    assert [(d.aggregate_id, d.bucket, d.stored, d.actual) for d in report.drift] == [
        ("findings#account", f"ARCHIVED#{extra.account_id}", 1, 2),
        (
            f"findings#facet#account#{extra.account_id}",
            f"ARCHIVED#severity#{extra.severity_label}",
            1,
            2,
        ),
        (
            f"findings#facet#severity#{extra.severity_label}",
            f"ARCHIVED#account#{extra.account_id}",
            1,
            2,
        ),
        ("findings#severity", f"ARCHIVED#{extra.severity_label}", 1, 2),
        ("findings#state", "ARCHIVED", 1, 2),
    ]
    assert summary_counts()["findings_archived"] == 2
