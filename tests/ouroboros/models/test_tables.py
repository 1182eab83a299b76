"""Table creation: names, keys, GSIs, streams; idempotent."""

from __future__ import annotations

import pytest

from ouroboros.aws import client
from ouroboros.models import ControlModel, FindingModel, LocalReactorModel
from ouroboros.models.tables import tables_ensure

pytestmark = pytest.mark.functional

EXPECTED_TABLES = {
    "cmdb_dev_security_controls",
    "cmdb_dev_security_findings",
    "cmdb_dev_security_local_reactors",
    "cmdb_dev_sfn_statemachines",
    "cmdb_dev_security_aggregates",
    "cmdb_dev_security_notifications",
    "cmdb_dev_api_rate_limits",
    "hub_dev_security_controls",
    "hub_dev_security_reactors",
    "hub_dev_security_reactor_verdicts",
}


def test_all_tables_exist_with_their_indexes_and_streams(moto_aws: None) -> None:
    ddb = client("dynamodb")
    assert set(ddb.list_tables()["TableNames"]) == EXPECTED_TABLES
    findings = ddb.describe_table(TableName="cmdb_dev_security_findings")["Table"]
    indexes = {i["IndexName"] for i in findings["GlobalSecondaryIndexes"]}
    assert {"state-updated-index", "severity-index", "account-index", "control-index"} <= indexes
    assert len(indexes) == 13
    for name in ("cmdb_dev_security_local_reactors", "hub_dev_security_reactors"):
        stream = ddb.describe_table(TableName=name)["Table"]["StreamSpecification"]
        assert stream == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert "StreamSpecification" not in findings or not findings["StreamSpecification"].get(
        "StreamEnabled"
    )
    for name in ("cmdb_dev_security_notifications", "cmdb_dev_api_rate_limits"):
        ttl = ddb.describe_time_to_live(TableName=name)
        assert ttl["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": "expires_at",
        }


def test_second_run_changes_nothing_and_keeps_data(moto_aws: None) -> None:
    LocalReactorModel("aws-s3-2", version="1.0.0", sha256="0" * 64).save()
    reports = tables_ensure("all")
    assert {r.action for r in reports} == {"exists"}
    assert all(r.drift == [] for r in reports)
    assert LocalReactorModel.get("aws-s3-2").version == "1.0.0"


def test_drift_is_reported_for_a_table_missing_an_index(moto_aws: None) -> None:
    ddb = client("dynamodb")
    ddb.delete_table(TableName="cmdb_dev_security_findings")
    ddb.create_table(
        TableName="cmdb_dev_security_findings",
        KeySchema=[{"AttributeName": "finding_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "finding_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    report = {r.table: r for r in tables_ensure("consumer")}["cmdb_dev_security_findings"]
    assert report.action == "exists"
    assert "missing index severity-index" in report.drift


def test_findings_lists_are_queries_on_an_index(moto_aws: None) -> None:
    from ouroboros.models.findings import finding_index_keys

    for number, (severity, state) in enumerate(
        [("CRITICAL", "ACTIVE"), ("LOW", "ACTIVE"), ("CRITICAL", "ARCHIVED")]
    ):
        finding = FindingModel(
            f"arn:finding/{number}",
            product_arn="arn:aws:securityhub:us-east-1::product/aws/securityhub",
            account_id="111111111111",
            severity_label=severity,
            record_state=state,
            updated_at=f"2024-01-0{number + 1}T00:00:00Z",
            control_id="S3.2",
        )
        finding_index_keys(finding)
        finding.save()
    critical = list(FindingModel.severity_index.query("ACTIVE#CRITICAL"))
    assert [f.finding_id for f in critical] == ["arn:finding/0"]
    by_control = list(FindingModel.control_index.query("ACTIVE#S3.2", scan_index_forward=False))
    assert [f.finding_id for f in by_control] == ["arn:finding/1", "arn:finding/0"]


def test_controls_by_severity_is_a_query(moto_aws: None) -> None:
    ControlModel("S3.2", severity="CRITICAL", title="t").save()
    ControlModel("S3.5", severity="MEDIUM", title="t").save()
    ControlModel("S3.2", "STANDARD#fsbp", kind="MEMBERSHIP", standard_id="fsbp").save()
    assert [c.control_id for c in ControlModel.severity_index.query("CRITICAL")] == ["S3.2"]
    assert [c.control_id for c in ControlModel.standard_index.query("fsbp")] == ["S3.2"]
