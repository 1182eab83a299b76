"""The local Security Hub and event bus inside the real local runtime (integration tier)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from emulator.bus import bus_current, bus_rule_put, bus_subscribe
from emulator.demo import demo_seed, public_bucket_name
from emulator.runtime import LocalRuntime
from ouroboros.aws import client
from tests.conftest import EVENTS_DIR, load_event
from tests.emulator.test_event_pattern import REMEDIATION_PATTERN

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


def _wait_idle() -> None:
    bus = bus_current()
    assert bus is not None and bus.wait_idle(30)


def test_securityhub_import_in_another_process_reaches_the_runtime(
    local_runtime: LocalRuntime,
) -> None:
    assert local_runtime.endpoints is not None
    assert local_runtime.endpoints.securityhub.startswith("http://127.0.0.1:")
    received: list[dict[str, Any]] = []
    bus_subscribe(name="imported", pattern=REMEDIATION_PATTERN, callback=received.append)
    path = EVENTS_DIR / "eventbridge_events" / "asr_imported_afsbp_ec2.7.json"
    original = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")["detail"]["findings"][
        0
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    result = subprocess.run(
        [sys.executable, "manage.py", "securityhub_import", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert local_runtime.endpoints.securityhub in result.stdout
    found = client("securityhub").get_findings(
        Filters={"Id": [{"Value": original["Id"], "Comparison": "EQUALS"}]}
    )["Findings"]
    assert len(found) == 1
    assert found[0]["UpdatedAt"] > original["UpdatedAt"]  # a fresh detection, by default
    _wait_idle()
    assert [e["detail"]["findings"][0]["Id"] for e in received] == [original["Id"]]


def test_the_bus_starts_a_pass_execution_on_moto_and_write_back_does_not_loop(
    local_runtime: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core.config import default_user_config

    monkeypatch.setitem(default_user_config["stepfunctions"], "execute_state_machine", True)
    assert bus_current() is not None  # the runtime's default extensions include the bus
    sfn = client("stepfunctions")
    machine = sfn.create_state_machine(
        name="finding-reactor",
        definition=PASS_MACHINE,
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    bus_rule_put(name="remediate", pattern=REMEDIATION_PATTERN, targets=[machine])
    finding = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")["detail"]["findings"][
        0
    ]
    securityhub = client("securityhub")
    securityhub.batch_import_findings(Findings=[finding])
    _wait_idle()
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert len(executions) == 1
    execution = _finished(sfn, executions[0]["executionArn"])
    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert output["detail-type"] == "Security Hub Findings - Imported"
    assert output["detail"]["findings"][0]["Id"] == finding["Id"]
    assert executions[0]["name"].startswith(output["id"])

    securityhub.batch_update_findings(
        FindingIdentifiers=[{"Id": finding["Id"], "ProductArn": finding["ProductArn"]}],
        Workflow={"Status": "NOTIFIED"},
    )
    _wait_idle()
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1


def _finished(sfn: Any, arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        execution = sfn.describe_execution(executionArn=arn)
        if execution["status"] != "RUNNING" or time.monotonic() > deadline:
            return dict(execution)
        time.sleep(0.2)


def test_demo_seed_fills_the_local_security_hub_once(local_runtime: LocalRuntime) -> None:
    received: list[dict[str, Any]] = []
    bus_subscribe(name="seed", pattern=REMEDIATION_PATTERN, callback=received.append)
    report = demo_seed()
    samples = len(list((EVENTS_DIR / "asff_findings").glob("*.json")))
    assert report.findings_imported == 2 * samples
    securityhub = client("securityhub")
    for account in ("111111111111", "222222222222"):
        found = securityhub.get_findings(
            Filters={
                "ResourceId": [
                    {"Value": f"arn:aws:s3:::{public_bucket_name(account)}", "Comparison": "EQUALS"}
                ],
                "ComplianceStatus": [{"Value": "FAILED", "Comparison": "EQUALS"}],
                "AwsAccountId": [{"Value": account, "Comparison": "EQUALS"}],
            }
        )["Findings"]
        assert [f["ProductFields"]["ControlId"] for f in found] == ["S3.2"]
        assert found[0]["Workflow"] == {"Status": "NEW"}
        assert found[0]["Severity"]["Label"] == "CRITICAL"
    _wait_idle()
    public = {
        e["detail"]["findings"][0]["Resources"][0]["Id"]
        for e in received
        if e["detail"]["findings"][0]["ProductFields"].get("ControlId") == "S3.2"
    }
    assert "arn:aws:s3:::ouroboros-demo-public-222222222222" in public
    assert demo_seed().findings_imported == 0
