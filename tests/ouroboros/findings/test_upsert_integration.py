"""finding_upsert_batch against real DynamoDB Local: writes, no-op re-runs, archive, aggregates,
and nothing lost when DynamoDB leaves items unprocessed or throttles."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from ouroboros.aggregates import aggregate_read, summary_counts
from ouroboros.aws.dynamodb_batch import RetryPolicy
from ouroboros.findings.items import finding_raw
from ouroboros.findings.services import finding_upsert_batch, finding_writer_client
from ouroboros.models import ControlModel, FindingModel
from tests.ouroboros.findings.conftest import WriteCounter, parsed, sample_raws, variant

pytestmark = pytest.mark.integration

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
NO_WAIT = RetryPolicy(sleep=lambda _: None)


def _many(n: int) -> list[dict[str, Any]]:
    raws = sample_raws()
    return [variant(raws[i % len(raws)], i) for i in range(n)]


def _active_ids() -> set[str]:
    return {f.finding_id for f in FindingModel.state_updated_index.query("ACTIVE")}


def test_writes_then_unchanged_rerun_writes_nothing(ddb_tables: str, writes: WriteCounter) -> None:
    raws = sample_raws()
    report = finding_upsert_batch(findings=parsed(raws), now=NOW)
    assert (report.received, report.written, report.created, report.unchanged) == (18, 18, 18, 0)
    stored = FindingModel.get(raws[0]["Id"])
    assert finding_raw(stored) == raws[0]
    assert stored.g_state == "ACTIVE"
    assert stored.content_hash and len(stored.content_hash) == 64
    writes.calls.clear()

    again = finding_upsert_batch(findings=parsed(raws), now=NOW)

    assert (again.written, again.unchanged, again.aggregate_writes) == (0, 18, 0)
    assert writes.total == 0


def test_aggregates_count_what_was_written(ddb_tables: str) -> None:
    raws = sample_raws()
    finding_upsert_batch(findings=parsed(raws), now=NOW)
    assert aggregate_read("findings#state") == {"ACTIVE": 18}
    assert aggregate_read("findings#severity") == {
        "ACTIVE#INFORMATIONAL": 5,
        "ACTIVE#MEDIUM": 8,
        "ACTIVE#HIGH": 2,
        "ACTIVE#CRITICAL": 3,
    }
    assert aggregate_read("findings#compliance") == {
        "ACTIVE#FAILED": 15,
        "ACTIVE#PASSED": 1,
        "ACTIVE#WARNING": 1,
    }  # the GuardDuty finding has no compliance status
    assert aggregate_read("findings#account")["ACTIVE#111111111111"] == 15
    controls = aggregate_read("findings#control")
    assert controls["ACTIVE#EC2.2"] == 2  # the ec2.2 file and the custom-action event
    assert controls["ACTIVE#IAM.8"] == 2  # IAM.8 and CIS 1.2.0 rule 1.3 (same control)
    assert sum(controls.values()) == 17  # every finding but GuardDuty's
    assert ControlModel.get("EC2.2", "CONTROL").failed_count == 2
    assert ControlModel.get("IAM.8", "CONTROL").failed_count == 1  # the CIS one is WARNING
    failing = aggregate_read("findings#control_failed")  # the dashboard's top failing controls
    assert (failing["ACTIVE#EC2.2"], failing["ACTIVE#IAM.8"]) == (2, 1)
    assert sum(failing.values()) == 15  # every FAILED finding (all have a control)
    assert summary_counts()["findings_active"] == 18


def test_archive_moves_a_finding_out_of_the_active_views(ddb_tables: str) -> None:
    raws = sample_raws()
    finding_upsert_batch(findings=parsed(raws), now=NOW)
    ec2 = next(
        r for r in raws if r["Id"].endswith("EC2.2/finding/835974e0-d335-49a1-af89-e47a5954d46b")
    )
    assert ec2["Id"] in _active_ids()

    archived = variant(ec2, 0, RecordState="ARCHIVED", UpdatedAt="2024-05-01T00:00:00.000Z")
    archived["Id"] = ec2["Id"]
    report = finding_upsert_batch(findings=parsed([archived]), now=NOW)

    assert report.written == 1 and report.created == 0
    assert ec2["Id"] not in _active_ids()
    assert ec2["Id"] in {f.finding_id for f in FindingModel.state_updated_index.query("ARCHIVED")}
    assert ec2["Id"] not in {f.finding_id for f in FindingModel.control_index.query("ACTIVE#EC2.2")}
    stored = FindingModel.get(ec2["Id"])
    assert (stored.record_state, stored.g_control) == ("ARCHIVED", "ARCHIVED#EC2.2")
    assert aggregate_read("findings#state") == {"ACTIVE": 17, "ARCHIVED": 1}
    controls = aggregate_read("findings#control")
    assert (controls["ACTIVE#EC2.2"], controls["ARCHIVED#EC2.2"]) == (1, 1)
    failing = aggregate_read("findings#control_failed")
    assert (failing["ACTIVE#EC2.2"], failing["ARCHIVED#EC2.2"]) == (1, 1)
    assert ControlModel.get("EC2.2", "CONTROL").failed_count == 1


def test_stale_update_is_skipped_and_remediation_survives_rewrites(ddb_tables: str) -> None:
    raw = sample_raws()[0]
    finding_upsert_batch(findings=parsed([raw]), now=NOW)
    stored = FindingModel.get(raw["Id"])
    stored.update(
        actions=[
            FindingModel.last_remediation.set(
                {"execution_id": "e-1", "status": "succeeded", "at": NOW}
            )
        ]
    )
    older = variant(raw, 0, UpdatedAt="2001-01-01T00:00:00Z", Title="older")
    older["Id"] = raw["Id"]
    assert finding_upsert_batch(findings=parsed([older]), now=NOW).stale == 1

    newer = variant(raw, 0, UpdatedAt="2030-01-01T00:00:00Z", Workflow={"Status": "NOTIFIED"})
    newer["Id"] = raw["Id"]
    assert finding_upsert_batch(findings=parsed([newer]), now=NOW).written == 1
    again = FindingModel.get(raw["Id"])
    assert again.workflow_status == "NOTIFIED"
    assert again.last_remediation is not None and again.last_remediation.execution_id == "e-1"
    workflow = {k: v for k, v in aggregate_read("findings#workflow").items() if v}
    assert workflow == {"ACTIVE#NOTIFIED": 1}


def test_duplicates_in_one_batch_keep_the_latest(ddb_tables: str) -> None:
    raw = sample_raws()[1]
    late = variant(raw, 0, UpdatedAt="2030-01-01T00:00:00Z", Title="late")
    late["Id"] = raw["Id"]
    report = finding_upsert_batch(findings=parsed([late, raw]), now=NOW)
    assert (report.received, report.written) == (1, 1)
    assert FindingModel.get(raw["Id"]).title == "late"


def test_unprocessed_items_are_resent_until_nothing_is_lost(ddb_tables: str) -> None:
    """DynamoDB writes part of a request and returns the rest as UnprocessedItems."""
    ddb = finding_writer_client()
    held = threading.local()  # the writer runs chunks on several threads
    calls = {"n": 0}
    lock = threading.Lock()

    def hold_back(params: dict[str, Any], **_: Any) -> None:
        (requests,) = params["RequestItems"].values()
        if len(requests) < 2:
            return
        with lock:
            calls["n"] += 1
            if calls["n"] > 3:  # three calls each leave up to 10 items behind
                return
        keep = max(1, len(requests) - 10)
        held.items = requests[keep:]
        del requests[keep:]

    def report_held(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if getattr(held, "items", None):
            parsed["UnprocessedItems"] = {FindingModel.Meta.table_name: held.items}
            held.items = None

    ddb.meta.events.register("before-parameter-build.dynamodb.BatchWriteItem", hold_back)
    ddb.meta.events.register("after-call.dynamodb.BatchWriteItem", report_held)
    try:
        findings = parsed(_many(60))
        report = finding_upsert_batch(findings=findings, now=NOW, retry=NO_WAIT)
    finally:
        ddb.meta.events.unregister("before-parameter-build.dynamodb.BatchWriteItem", hold_back)
        ddb.meta.events.unregister("after-call.dynamodb.BatchWriteItem", report_held)

    assert report.resends == 3
    assert report.written == 60
    assert len(list(FindingModel.scan())) == 60
    assert aggregate_read("findings#state") == {"ACTIVE": 60}


def test_throttling_errors_are_retried_until_nothing_is_lost(ddb_tables: str) -> None:
    """ProvisionedThroughputExceeded answers (HTTP 400) are retried by botocore's adaptive mode."""
    from botocore.awsrequest import AWSResponse

    ddb = finding_writer_client()
    throttled = {"n": 0}

    class _Raw:
        def stream(self, **_: Any) -> Any:
            yield b""

    def throttle(request: Any, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        if b"BatchWriteItem" in target and throttled["n"] < 2:
            throttled["n"] += 1
            response = AWSResponse(request.url, 400, {}, _Raw())
            response._content = (
                b'{"__type":"com.amazonaws.dynamodb.v20120810#'
                b'ProvisionedThroughputExceededException","message":"slow down"}'
            )
            return response
        return None

    ddb.meta.events.register_first("before-send.dynamodb.BatchWriteItem", throttle)
    try:
        report = finding_upsert_batch(findings=parsed(_many(30)), now=NOW)
    finally:
        ddb.meta.events.unregister("before-send.dynamodb.BatchWriteItem", throttle)

    assert throttled["n"] == 2
    assert report.written == 30
    assert len(list(FindingModel.scan())) == 30
