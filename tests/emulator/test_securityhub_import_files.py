"""``securityhub_import`` on real files: every shape, each file written whole or refused whole.

Issue 18: real EventBridge events (keys BatchImportFindings does not take, numbers written as
text) crashed the command with botocore's traceback, and a bad file lost the good findings after
it. Here every file under ``tests/events`` goes through one command against a local Security Hub.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from emulator.endpoints import LocalEndpoints, endpoints_write
from emulator.securityhub_server import SecurityHubExtension
from ouroboros.aws import reset_sessions
from ouroboros.config import reset_config
from tests.conftest import EVENTS_DIR, load_event
from tests.emulator.securityhub_samples import FakeRuntime

SHAPES = EVENTS_DIR / "import_shapes"


@pytest.fixture
def hub(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A local Security Hub that this process (and so the command) uses; a boto3 client of it."""
    extension = SecurityHubExtension()
    extension.start(FakeRuntime(isolated_env))  # type: ignore[arg-type]
    assert extension.server is not None
    url = extension.server.url
    endpoints_write(
        LocalEndpoints(
            aws="http://127.0.0.1:9",
            dynamodb="http://127.0.0.1:9",
            dynamodb_backend="moto",
            region="us-east-1",
            pid=os.getpid(),
            securityhub=url,
        ),
        isolated_env,
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECURITYHUB", url)
    reset_config()
    reset_sessions()
    try:
        yield boto3.client("securityhub", endpoint_url=url, region_name="us-east-1")
    finally:
        extension.stop()


def _stored(hub: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for page in hub.get_paginator("get_findings").paginate():
        found.update({f["Id"]: f for f in page["Findings"]})
    return found


def _stored_v2(hub: Any) -> set[str]:
    pages = hub.get_paginator("get_findings_v2").paginate()
    return {f["finding_info"]["uid"] for page in pages for f in page["Findings"]}


def _findings_of(document: Any) -> list[dict[str, Any]] | None:
    """The findings a file holds, counted from its JSON (independently of the readers):
    ASFF ones (``SchemaVersion``) and OCSF ones (``finding_info``, Security Hub V2)."""
    if isinstance(document, list):
        inner = [_findings_of(item) for item in document]
        return None if any(i is None for i in inner) else [f for i in inner for f in i or []]
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("Findings"), list):
        return document["Findings"]
    if isinstance((document.get("detail") or {}).get("findings"), list):
        return document["detail"]["findings"]
    return [document] if "SchemaVersion" in document or "finding_info" in document else None


def _import(*paths: Path) -> tuple[str, str, bool]:
    """Run the command; its stdout, stderr and whether it failed (as a shell would see it)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("securityhub_import", *map(str, paths), stdout=out, stderr=err)
    except CommandError as exc:
        err.write(f"CommandError: {exc}\n")
        return out.getvalue(), err.getvalue(), True
    return out.getvalue(), err.getvalue(), False


def _write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_every_file_under_tests_events_in_one_command(hub: Any) -> None:
    files = sorted(p for p in EVENTS_DIR.rglob("*") if p.is_file())
    expected: list[dict[str, Any]] = []
    not_findings: list[Path] = []
    for path in files:
        try:
            found = _findings_of(json.loads(path.read_text()))
        except ValueError:
            found = None
        if found:
            expected += found
        else:
            not_findings.append(path)
    assert len(expected) > 20 and not_findings  # the samples, the shapes; README, SOURCES

    out, err, failed = _import(*files)

    assert f"{len(expected)} findings imported from {len(files) - len(not_findings)} of" in out
    assert failed  # the non-finding files are refused, and the exit status says so
    for path in not_findings:
        assert f"refused {path}:" in err
        assert f"{path}: not JSON" in err or f"{path}: not a findings file" in err
    assert "Traceback" not in out + err
    assert set(_stored(hub)) == {f["Id"] for f in expected if "finding_info" not in f}
    ocsf = {f["finding_info"]["uid"] for f in expected if "finding_info" in f}
    assert len(ocsf) >= 8 and _stored_v2(hub) == ocsf  # tests/events/ocsf, kept as OCSF


def test_custom_action_keys_are_dropped_with_one_notice_naming_them(hub: Any) -> None:
    path = SHAPES / "custom_action_with_arrival_keys_afsbp_ec2.2.json"
    out, err, failed = _import(path)
    assert not failed, err
    notices = [line for line in out.splitlines() if line.startswith("note:")]
    assert len(notices) == 1
    assert "approximateArrivalTimestamp, updatedAt" in notices[0] and str(path) in notices[0]
    finding_id = load_event(f"import_shapes/{path.name}")["detail"]["findings"][0]["Id"]
    stored = _stored(hub)[finding_id]
    assert "approximateArrivalTimestamp" not in stored and "updatedAt" not in stored


def test_values_in_another_json_type_are_converted(hub: Any) -> None:
    severity = SHAPES / "severity_normalized_as_text_fsbp_cloudtrail.2.json"
    account = SHAPES / "account_id_as_number_asr_iam.3.json"
    out, err, failed = _import(severity, account)
    assert not failed, err
    assert "Severity.Normalized: '40' -> 40" in out
    assert "AwsAccountId: 111111111111 -> '111111111111'" in out
    stored = _stored(hub)
    assert (
        stored[load_event(f"import_shapes/{severity.name}")["Id"]]["Severity"]["Normalized"] == 40
    )
    assert stored[load_event(f"import_shapes/{account.name}")["Id"]]["AwsAccountId"] == (
        "111111111111"
    )


def test_a_bad_finding_refuses_its_file_whole_and_the_other_files_are_written(
    hub: Any, tmp_path: Path
) -> None:
    good = load_event("asff_findings/asr_afsbp_s3.2.json")
    others = [copy.deepcopy(good) for _ in range(3)]
    for number, finding in enumerate(others):
        finding["Id"] += f"-{number}"
    short_account = {**others[1], "AwsAccountId": 1234567890}  # a number, but not 12 digits
    mistyped = {**others[2], "Confidence": "high"}
    bad_file = _write(tmp_path, "mixed.json", {"Findings": [others[0], short_account, mistyped]})
    good_file = _write(tmp_path, "good.json", good)
    not_json = tmp_path / "notes.txt"
    not_json.write_text("not json")

    out, err, failed = _import(bad_file, good_file, not_json)

    assert failed
    assert "1 findings imported from 1 of 3 file(s)" in out
    assert f"{bad_file}: 2 of 3 findings refused, file not written" in err
    assert f"{bad_file}: finding 2 (" in err and "AwsAccountId" in err
    assert f"{bad_file}: finding 3 (" in err and "Confidence: text 'high', not an integer" in err
    assert f"{not_json}: not JSON" in err
    assert "Traceback" not in err
    assert set(_stored(hub)) == {good["Id"]}  # nothing of mixed.json, not even its good finding


@pytest.mark.parametrize(
    ("finding_id", "shown", "reason"),
    [
        ("x" * 513, "xxx", "Id: 513 characters, not 1 to 512"),
        ("arn:finding/a\x00b", "arn:finding/a\\x00b", "holds control characters"),
        ("arn:finding/a\nb", "arn:finding/a\\nb", "holds control characters"),
    ],
    ids=["long", "nul", "newline"],
)
def test_ids_too_long_or_with_control_characters_are_refused_at_import(
    hub: Any, tmp_path: Path, finding_id: str, shown: str, reason: str
) -> None:
    finding = {**load_event("asff_findings/asr_afsbp_s3.2.json"), "Id": finding_id}
    path = _write(tmp_path, "bad-id.json", [finding])
    out, err, failed = _import(path)
    assert failed
    assert f"{path}: finding 1 ({shown}" in err and reason in err
    assert "\x00" not in out + err  # never written raw
    assert _stored(hub) == {}


def test_ocsf_files_and_v2_events_go_in_as_ocsf_in_files_mixing_formats(
    hub: Any, tmp_path: Path
) -> None:
    v2_event = load_event("ocsf/09_guardduty_detection_finding_in_FindingsImportedV2_event.json")
    v1_event = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    sqs = load_event("ocsf/02_shcspm_control_SQS.1_compliance_fail_new.json")
    mixed = _write(tmp_path, "mixed-events.json", [v1_event, v2_event])
    response = _write(tmp_path, "get-findings-v2.json", {"Findings": [sqs]})

    out, err, failed = _import(mixed, response)

    assert not failed and err == ""
    assert "3 findings imported from 2 of 2 file(s)" in out
    assert set(_stored(hub)) == {v1_event["detail"]["findings"][0]["Id"]}
    v2_uid = v2_event["detail"]["findings"][0]["finding_info"]["uid"]
    assert _stored_v2(hub) == {v2_uid, sqs["finding_info"]["uid"]}
    (stored,) = hub.get_findings_v2(
        Filters={
            "CompositeFilters": [
                {"StringFilters": [{"FieldName": "finding_info.uid", "Filter": {"Value": v2_uid}}]}
            ]
        }
    )["Findings"]
    assert stored["finding_info"]["modified_time_dt"] > "2026"  # re-stamped: a fresh detection
    assert stored["metadata"] == v2_event["detail"]["findings"][0]["metadata"]


def test_a_bad_ocsf_finding_refuses_its_file_by_position_and_uid(hub: Any, tmp_path: Path) -> None:
    sqs = load_event("ocsf/02_shcspm_control_SQS.1_compliance_fail_new.json")
    no_account = copy.deepcopy(sqs)
    del no_account["cloud"]
    del no_account["resources"][0]["owner"]
    path = _write(tmp_path, "ocsf.json", [sqs, no_account])

    _, err, failed = _import(path)

    assert failed and "Traceback" not in err
    shown = sqs["finding_info"]["uid"][:97] + "..."  # a long uid is cut at 100 characters
    assert f"{path}: OCSF finding 2 ({shown}) refused: " in err
    assert "cloud.account.uid" in err
    assert _stored_v2(hub) == set()  # the file is refused whole
