"""`make run` shows the whole remediation loop by itself, once, and leaves users' changes alone.

The runtime is started as `make run` starts it (``manage.py runlocal``, demo seed and Hub catalog
included, in its own process with its own data folder); this process adopts its endpoints and
watches: the public bucket of 222222222222 loses its public statement, its FAILED S3.2 finding is
RESOLVED in the local Security Hub, the execution and the notification are recorded and shown by
the console. Its Security Hub V2 side runs too: the OCSF SQS.1 finding of 111111111111 ends
Resolved in the local Security Hub V2 and its queue is encrypted by ``sqs-queue-encryption``.
Then an operator changes S3.2 and the runtime restarts on the same data folder: the demo neither
runs either loop again nor overrides the operator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.demo import public_bucket_name
from emulator.demo_remediation import DEMO_OCSF_REACTOR, DEMO_REACTOR
from emulator.demo_securityhub import DEMO_QUEUE, OCSF_DEMO_ACCOUNT
from emulator.endpoints import endpoints_read
from ouroboros.aws import assume_role_session, client, reset_sessions
from ouroboros.config import reset_config
from ouroboros.controls.configuration import control_assign_reactor
from ouroboros.executions.selectors import executions_of_finding
from ouroboros.models import ControlModel, bind_models
from ouroboros.notify.delivery import notification_deliveries_list
from tests.integration.test_runlocal import _start, _stop, _wait_for, console_port
from tests.reactor_support import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.long]

MEMBER = "222222222222"
BUCKET = public_bucket_name(MEMBER)
PASSWORD = "runlocal-test-pw-1"
#: The Hub's catalog: the demo's two reactors (``OUROBOROS_LOCAL_CATALOG``, comma-separated).
CATALOG = f"{DEMO_REACTOR},{DEMO_OCSF_REACTOR}"


@pytest.fixture
def adopt(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point this process at the runtime serving ``data_dir`` (and back afterwards)."""

    def point_at(data_dir: Path) -> None:
        endpoints = endpoints_read(data_dir)
        assert endpoints is not None, "the runtime published no endpoints"
        for key, value in endpoints.environ().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("OUROBOROS_DATA_DIR", str(data_dir))
        reset_config()
        reset_sessions()
        bind_models()

    yield point_at
    monkeypatch.undo()
    reset_config()
    reset_sessions()
    bind_models()


def policy_sids() -> list[str]:
    session = assume_role_session(
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole", external_id=""
    )
    policy = client("s3", session=session).get_bucket_policy(Bucket=BUCKET)["Policy"]
    return [s.get("Sid") for s in json.loads(policy)["Statement"]]


def s3_2_finding() -> dict[str, Any]:
    filters = {
        "AwsAccountId": [{"Value": MEMBER, "Comparison": "EQUALS"}],
        "ResourceId": [{"Value": f"arn:aws:s3:::{BUCKET}", "Comparison": "EQUALS"}],
    }
    found = client("securityhub").get_findings(Filters=filters)["Findings"]
    s3_2 = [f for f in found if f["ProductFields"].get("ControlId") == "S3.2"]
    assert len(s3_2) == 1, found
    return dict(s3_2[0])


def sqs_1_v2_finding() -> dict[str, Any]:
    """The demo's OCSF SQS.1 finding, as the local Security Hub V2 holds it."""
    strings = [
        {"FieldName": "compliance.control", "Filter": {"Value": "SQS.1", "Comparison": "EQUALS"}},
        {
            "FieldName": "cloud.account.uid",
            "Filter": {"Value": OCSF_DEMO_ACCOUNT, "Comparison": "EQUALS"},
        },
    ]
    filters = {"CompositeFilters": [{"StringFilters": strings}]}
    [found] = client("securityhub").get_findings_v2(Filters=filters)["Findings"]
    return dict(found)


def queue_encrypted() -> bool:
    session = assume_role_session(
        f"arn:aws:iam::{OCSF_DEMO_ACCOUNT}:role/OrganizationAccountAccessRole", external_id=""
    )
    sqs = client("sqs", session=session)
    url = sqs.get_queue_url(QueueName=DEMO_QUEUE)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return attributes.get("SqsManagedSseEnabled") == "true"


def succeeded(finding_id: str) -> list[Any]:
    return [e for e in executions_of_finding(finding_id=finding_id) if e.status == "succeeded"]


def login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    session.post(
        f"{base}/login/",
        data={"username": "admin", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/login/"},
        timeout=30,
    ).raise_for_status()
    return session


def test_make_run_remediates_the_public_bucket_once(tmp_path: Path, adopt: Any) -> None:
    data_dir = tmp_path / "data"
    port = console_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(data_dir, port, catalog=CATALOG)
    try:
        _wait_for(f"{base}/login/", process, timeout=600)
        adopt(data_dir)
        finding = s3_2_finding()
        assert finding["Compliance"]["Status"] == "FAILED"
        done = wait_for(lambda: succeeded(finding["Id"]), "the demo's remediation", 400)
        assert (done[0].reactor_id, done[0].trigger, done[0].account_id) == (
            "s3-public-read",
            "event",
            MEMBER,
        )
        assert policy_sids() == ["AdminAccess"]
        wait_for(lambda: s3_2_finding()["Workflow"]["Status"] == "RESOLVED", "RESOLVED", 60)
        assert "s3-public-read" in s3_2_finding()["Note"]["Text"]
        wait_for(
            lambda: [
                d
                for d in notification_deliveries_list()
                if d["message"]["finding_id"] == finding["Id"]
            ],
            "the notification",
            60,
        )
        console = login(base)
        executions = console.get(f"{base}/executions/?control_id=S3.2", timeout=30).text
        assert "s3-public-read" in executions and "succeeded" in executions
        notifications = console.get(f"{base}/notifications/", timeout=30).text
        assert BUCKET in notifications and "succeeded" in notifications
        control = ControlModel.get("S3.2", "CONTROL")
        assert (control.reactor_id, control.mode, control.updated_by) == (
            "s3-public-read",
            "auto",
            "demo",
        )
        # Security Hub V2: the OCSF finding is fixed by its reactor and resolved through V2.
        ocsf = sqs_1_v2_finding()
        ocsf_id = ocsf["finding_info"]["uid"]
        [fixed] = wait_for(lambda: succeeded(ocsf_id), "the demo's OCSF remediation", 400)
        assert (fixed.reactor_id, fixed.trigger, fixed.account_id) == (
            DEMO_OCSF_REACTOR,
            "event",
            OCSF_DEMO_ACCOUNT,
        )
        assert queue_encrypted()
        wait_for(lambda: sqs_1_v2_finding()["status"] == "Resolved", "the OCSF finding Resolved")
        assert DEMO_OCSF_REACTOR in str(sqs_1_v2_finding().get("comment"))
        sqs_1 = ControlModel.get("SQS.1", "CONTROL")
        assert (sqs_1.reactor_id, sqs_1.mode, sqs_1.updated_by) == (
            DEMO_OCSF_REACTOR,
            "auto",
            "demo",
        )
        operator = control_assign_reactor(  # an operator takes S3.2 over
            control_id="S3.2",
            expected_version=control.version,
            reactor_id="s3-public-read",
            mode="dry_run",
            actor="alice",
        )
    finally:
        first = _stop(process)
    # What runlocal announces names both parts of the demo.
    assert (
        "demo remediation: s3-public-read on S3.2, sqs-queue-encryption on SQS.1 (OCSF), "
        "auto: see Executions"
    ) in first
    assert "demo remediation: remediating: installed s3-public-read" in first
    assert (
        "demo remediation (SQS.1, OCSF): remediating: installed sqs-queue-encryption, "
        "assigned to SQS.1 (auto), re-checked 1 finding(s)"
    ) in first

    # Same data folder: nothing re-runs, nothing is overridden.
    process = _start(data_dir, port, catalog=CATALOG)
    try:
        _wait_for(f"{base}/login/", process, timeout=600)
        adopt(data_dir)
        assert policy_sids() == ["AdminAccess"]  # moto forgot it; re-created as the loop left it
        assert s3_2_finding()["Workflow"]["Status"] == "RESOLVED"
        control = ControlModel.get("S3.2", "CONTROL")
        assert (control.mode, control.updated_by, control.version) == (
            "dry_run",
            "alice",
            operator.version,
        )
        assert len(succeeded(finding["Id"])) == 1
        # The V2 loop ran once too: the queue re-created encrypted, the finding left Resolved.
        assert queue_encrypted()
        assert sqs_1_v2_finding()["status"] == "Resolved"
        assert len(succeeded(ocsf_id)) == 1
    finally:
        second = _stop(process)
    assert "demo remediation: user-configured" in second
    assert "demo remediation (SQS.1, OCSF): already-set-up\n" in second
