"""Reading ASFF files for ``securityhub_import``, its refusals, and outside the local runtime."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from emulator.endpoints import LocalEndpoints, endpoints_write
from emulator.securityhub_import import (
    LocalRuntimeRequiredError,
    asff_findings_load,
    finding_refusal,
    local_securityhub_endpoint,
)
from ouroboros.errors import ValidationError
from tests.conftest import EVENTS_DIR, load_event


def _write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("path", sorted((EVENTS_DIR / "asff_findings").glob("*.json")), ids=str)
def test_every_sample_finding_file_loads_as_one_finding(path: Path) -> None:
    findings = asff_findings_load(path)
    assert [f["Id"] for f in findings] == [json.loads(path.read_text())["Id"]]


@pytest.mark.parametrize(
    "path", sorted((EVENTS_DIR / "eventbridge_events").glob("*.json")), ids=str
)
def test_every_sample_event_file_loads_its_findings(path: Path) -> None:
    event = json.loads(path.read_text())
    assert asff_findings_load(path) == event["detail"]["findings"]


def test_lists_responses_and_lists_of_events_load(tmp_path: Path) -> None:
    s32 = load_event("asff_findings/asr_afsbp_s3.2.json")
    ec22 = load_event("asff_findings/asr_afsbp_ec2.2.json")
    event = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    assert len(asff_findings_load(_write(tmp_path, "list.json", [s32, ec22]))) == 2
    assert len(asff_findings_load(_write(tmp_path, "resp.json", {"Findings": [s32]}))) == 1
    assert len(asff_findings_load(_write(tmp_path, "events.json", [event, event]))) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"hello": "world"}), "not a findings file"),
        (json.dumps({"Findings": []}), "holds no findings"),
    ],
)
def test_bad_files_are_refused_with_the_reason(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValidationError, match=message):
        asff_findings_load(path)


def test_a_bad_finding_is_refused_by_file_position_and_id(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.json", [{"Id": "x", "ProductArn": "y"}])
    refusal = finding_refusal(path, 1, asff_findings_load(path)[0])
    assert refusal is not None
    assert (refusal["Id"], refusal["ErrorCode"]) == ("x", "InvalidInput")
    assert refusal["ErrorMessage"].startswith(f"{path}: finding 1 (x) refused: ")
    assert "missing required fields" in refusal["ErrorMessage"]
    assert "ProductArn: 1 characters, not 12 to 2048" in refusal["ErrorMessage"]
    good = load_event("asff_findings/asr_afsbp_s3.2.json")
    assert finding_refusal(path, 2, good) is None


def test_refuses_without_a_running_local_runtime() -> None:
    with pytest.raises(LocalRuntimeRequiredError, match="no local runtime is running"):
        local_securityhub_endpoint()


def test_refuses_when_the_runtime_has_no_security_hub_or_this_process_points_elsewhere(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoints = LocalEndpoints(
        aws="http://127.0.0.1:1",
        dynamodb="http://127.0.0.1:2",
        dynamodb_backend="moto",
        region="us-east-1",
        pid=os.getpid(),
    )
    endpoints_write(endpoints, isolated_env)
    with pytest.raises(LocalRuntimeRequiredError, match="serves no Security Hub"):
        local_securityhub_endpoint()
    endpoints_write(
        LocalEndpoints(**{**endpoints.__dict__, "securityhub": "http://127.0.0.1:3"}), isolated_env
    )
    monkeypatch.setenv(
        "AWS_ENDPOINT_URL_SECURITYHUB", "https://securityhub.us-east-1.amazonaws.com"
    )
    with pytest.raises(LocalRuntimeRequiredError, match="does not point at"):
        local_securityhub_endpoint()


def test_the_command_refuses_with_a_clear_error() -> None:
    sample = EVENTS_DIR / "asff_findings" / "asr_afsbp_s3.2.json"
    with pytest.raises(CommandError, match="make run"):
        call_command("securityhub_import", str(sample))
