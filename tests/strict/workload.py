"""A representative workload of the deployed functions, driven in-process on moto.

`workload_run` does, with the real handlers and the console's real views (test code only sets
the stage: publishes a reactor, asks for its install, puts a public bucket and its FAILED
finding in member account 222222222222 and in Security Hub):

- ``hub_verify`` verifies the published reactor; ``reactor_installer`` installs it (INSERT),
  installs it again over what it left (a retry: the role and function exist), and uninstalls it
  (REMOVE) after someone attached a managed policy to its role;
- ``collect_findings`` collects the findings from Security Hub;
- ``parse_finding`` parses an event with the finding (its region is not the deployment's) and
  one of a control without a reactor (skipped); ``dispatch_finding`` runs the reactor (the local
  Lambda runner runs its artifact) and writes the workflow status back to Security Hub in the
  finding's region; ``dispatch_failure`` records a failure; ``send_notification`` publishes
  the success, and opens the failure's ticket (the control's ticket behaviour is
  ``after_failure``) through the ticket webhook, whose URL it reads from SSM, then publishes;
  ``notify_subscriber`` delivers the message and records the delivery;
- the console renders the finding, execution, dashboard, notifications and Hub catalog pages, sets
  the finding's workflow status with a bulk action (BatchUpdateFindings in the home region),
  starts "Remediate now" and asks for the rollback of the remediation (which starts the workflow),
  reads the API's summary with the rate limits counted in DynamoDB (the ``api_rate_count`` grant),
  and exports the findings list to the deployment's export bucket (as on AWS: S3, the console's
  ``exports_write`` grant) and follows the download link (a pre-signed URL);
  ``parse_finding`` and ``dispatch_finding`` then run that rollback: the reactor restores the
  policy, the control gets the rollback's exemption, the finding is set NEW again.

Security Hub's BatchUpdateFindings, which moto lacks, is answered by `securityhub_updates_answered`.
The tests using this need ``moto_aws`` and the Django database.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlparse

import botocore.handlers
from botocore.awsrequest import AWSResponse
from django.test import override_settings

from emulator.lambda_invoke import LocalLambda
from lambdas import (
    collect_findings,
    dispatch_failure,
    dispatch_finding,
    hub_verify,
    notify_subscriber,
    parse_finding,
    reactor_installer,
    send_notification,
)
from ouroboros.aws import assume_role_session, client, reset_sessions
from ouroboros.aws.parameters import parameter_get
from ouroboros.config import get_config, reset_config
from ouroboros.models import ControlModel, ExecutionModel, LocalReactorModel
from ouroboros.reactors.services import reactor_install
from tests.console.conftest import logged_in
from tests.http_server import http_server_running
from tests.reactor_support import (
    BUCKET,
    MEMBER,
    OWNER,
    PUBLIC,
    approval,
    built_artifact,
    hub_publish,
    member_finding,
    stream_event,
)

REACTOR_ID = "s3-public-read"
VERSION = "1.0.0"
#: The finding's region: not the deployment's (us-east-1), as in an aggregated Security Hub.
FINDING_REGION = "eu-west-1"
SKIPPED_CONTROL = "EC2.2"
#: The note of the console's bulk workflow-status action.
BULK_NOTE = "strict workload: triaged"
Records = list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]]


@contextmanager
def securityhub_updates_answered() -> Iterator[list[dict[str, Any]]]:
    """Answer BatchUpdateFindings (moto lacks it) in every region; yields the requests."""
    seen: list[dict[str, Any]] = []

    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        request = json.loads(params["body"] or b"{}")  # before-call sees the serialized request
        seen.append(request)
        parsed = {
            "ProcessedFindings": request.get("FindingIdentifiers", []),
            "UnprocessedFindings": [],
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}},
        }
        return AWSResponse("http://local-securityhub", 200, {}, None), parsed

    spec = ("before-call.securityhub.BatchUpdateFindings", answer)
    botocore.handlers.BUILTIN_HANDLERS.append(spec)
    reset_sessions()
    try:
        yield seen
    finally:
        botocore.handlers.BUILTIN_HANDLERS.remove(spec)
        reset_sessions()


@contextmanager
def local_lambda(data_dir: Path) -> Iterator[None]:
    """The local Lambda runner (installed reactors run from their artifacts)."""
    runner = LocalLambda()
    runner.start(SimpleNamespace(data_dir=data_dir))  # type: ignore[arg-type]
    try:
        yield
    finally:
        runner.stop()


def _stage(finding: dict[str, Any]) -> None:
    """What test code sets up: the member's public bucket, the hub's findings, the topic..."""
    member = assume_role_session(
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole", session_name="strict-setup"
    )
    s3 = member.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    policy = {"Version": "2012-10-17", "Statement": [PUBLIC, OWNER]}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    client("securityhub").batch_import_findings(Findings=[finding])
    client("s3").create_bucket(Bucket=_export_bucket())
    config = get_config()
    client("sns").create_topic(Name=config.notification_topic_name)
    client("stepfunctions").create_state_machine(
        name=config.state_machine_name,
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/ouroboros-dev-states-role",
    )
    ControlModel(
        "S3.2", title="S3.2", reactor_id=REACTOR_ID, mode="auto", ticket="after_failure"
    ).save()
    ControlModel(SKIPPED_CONTROL, title=SKIPPED_CONTROL).save()
    reset_sessions()


def _reactor_record(status: str, **extra: Any) -> dict[str, Any]:
    return {"reactor_id": REACTOR_ID, "version": VERSION, "status": status, **extra}


def _install() -> None:
    hub_publish(built_artifact("s3_public_read"))
    pending = {"reactor_id": REACTOR_ID, "version": VERSION, "status": "pending"}
    assert hub_verify.handler(stream_event([("INSERT", pending, None)], key="reactor_id")) == {
        "batchItemFailures": []
    }
    reactor_install(reactor_id=REACTOR_ID, approved_actions=approval(REACTOR_ID), actor="strict")
    event = stream_event([("INSERT", _reactor_record("installing"), None)], key="reactor_id")
    assert reactor_installer.handler(event) == {"batchItemFailures": []}
    assert LocalReactorModel.get(REACTOR_ID).status == "installed"


def _reinstall_and_uninstall() -> None:
    """A retry over an existing role and function, then an uninstall of a drifted role."""
    item = LocalReactorModel.get(REACTOR_ID)
    item.update(actions=[LocalReactorModel.status.set("installing")])
    retry: Records = [("MODIFY", _reactor_record("installing"), _reactor_record("failed"))]
    assert reactor_installer.handler(stream_event(retry, key="reactor_id")) == {
        "batchItemFailures": []
    }
    assert LocalReactorModel.get(REACTOR_ID).status == "installed"
    name = str(LocalReactorModel.get(REACTOR_ID).function_name)
    iam = client("iam")
    drift = iam.create_policy(PolicyName="strict-drift", PolicyDocument=json.dumps(PUBLIC_READ))
    iam.attach_role_policy(RoleName=name, PolicyArn=drift["Policy"]["Arn"])
    LocalReactorModel.get(REACTOR_ID).delete()
    removed: Records = [("REMOVE", None, _reactor_record("installed", function_name=name))]
    assert reactor_installer.handler(stream_event(removed, key="reactor_id")) == {
        "batchItemFailures": []
    }
    assert all(role["RoleName"] != name for role in iam.list_roles()["Roles"])


PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def _event(*findings: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "strict-workload",
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": "123456789012",
        "region": "us-east-1",
        "detail": {"findings": list(findings)},
    }


def _remediate(finding: dict[str, Any], skipped: dict[str, Any]) -> str:
    """Parse, dispatch, record a failure, notify; the succeeded execution's id."""
    items = parse_finding.handler(_event(finding, skipped))["items"]
    assert [item["control_id"] for item in items] == ["S3.2"]
    outcome = dispatch_finding.handler(dict(items[0]))
    [message] = outcome["result"]["messages"]
    assert message["status"] == "succeeded", message
    assert send_notification.handler(dict(outcome["result"]))["published"] == 1
    sns = {"Records": [{"Sns": {"MessageId": "m-1", "Message": json.dumps(message)}}]}
    assert notify_subscriber.handler(sns)["delivered"] == 1  # recorded for the console
    cause = json.dumps({"errorMessage": "Rate exceeded", "errorType": "ThrottledError"})
    failed = {**items[0], "error": {"Error": "ThrottledError", "Cause": cause}}
    failure = dispatch_failure.handler(failed)["result"]
    assert failure["status"] == "failed"
    with ticket_webhook() as tickets:
        assert send_notification.handler(dict(failure))["published"] == 1
    assert [t["reason"] for t in tickets] == ["after_failure"], tickets
    ticketed = ExecutionModel.get(failure["messages"][0]["execution_id"])
    assert (ticketed.ticket_channel, ticketed.ticket_id) == ("webhook", "TICKET-1")
    return str(message["execution_id"])


class _TicketReceiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        _TicketReceiver.received.append(
            json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        )
        body = json.dumps({"key": f"TICKET-{len(_TicketReceiver.received)}"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def ticket_webhook() -> Iterator[list[dict[str, Any]]]:
    """The ticket webhook (a loopback receiver: the local runtime's rule) behind its SSM
    parameter, as deployed (``OUROBOROS_TICKET_WEBHOOK_URL_PARAMETER``); yields the tickets."""
    _TicketReceiver.received = []
    name = f"/ouroboros/{get_config().stage}/ticket-webhook-url"
    setting = "OUROBOROS_TICKET_WEBHOOK_URL_PARAMETER"
    with http_server_running(_TicketReceiver) as base:
        client("ssm").put_parameter(Name=name, Value=f"{base}/t", Type="SecureString")
        parameter_get.cache_clear()  # a previous run's receiver had another port
        os.environ[setting] = name
        reset_config()
        try:
            yield _TicketReceiver.received
        finally:
            os.environ.pop(setting, None)
            reset_config()


def _console(finding: dict[str, Any], execution_id: str) -> None:
    operator = logged_in("strict-operator", "operator")
    execution = quote(execution_id, safe="")
    pages = (
        "/",
        "/findings/",
        "/executions/",
        f"/executions/{execution}/",
        "/reactors/",
        "/notifications/",
    )
    for page in pages:
        assert operator.get(page).status_code == 200, page
    assert operator.get("/findings/detail/", {"id": finding["Id"]}).status_code == 200
    bulk = {
        "scope": "selected",
        "id": finding["Id"],
        "action": "workflow",
        "status": "NOTIFIED",
        "note": BULK_NOTE,
    }
    done = operator.post("/findings/bulk/", bulk)
    assert done.status_code == 302 and done["Location"].startswith("/findings/bulk/"), done
    assert operator.get(done["Location"]).status_code == 200
    assert operator.post(f"/findings/{finding['Id']}/remediate/").status_code == 302
    assert operator.post(f"/executions/{execution}/rollback/").status_code == 302
    with override_settings(OUROBOROS_API_RATE_STORE="dynamodb"):  # as deployed (base settings)
        assert operator.get("/api/v1/summary").status_code == 200  # counted in the shared table
    _export(operator)


def _export_bucket() -> str:
    """The bucket bootstrap creates for exports (`deploy.naming.Deployment.export_bucket`)."""
    return f"ouroboros-{get_config().stage}-exports-123456789012"


def _export(operator: Any) -> None:
    """Export the list to S3 as deployed (``OUROBOROS_EXPORT_BUCKET``), then its download link."""
    storage = {  # what console/settings/base.py makes of OUROBOROS_EXPORT_BUCKET
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _export_bucket(),
            "location": "exports",
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "signature_version": "s3v4",
        },
    }
    with override_settings(EXPORT_STORAGE=storage, EXPORT_RUNNER="inline"):
        started = operator.post("/findings/exports/", {"query": "", "format": "csv"})
        assert started.status_code == 302, started
        download = operator.get(f"{started['Location']}download/")
    assert download.status_code == 302, download
    assert "X-Amz-Signature=" in download["Location"], download["Location"]
    key = urlparse(download["Location"]).path.lstrip("/")
    assert key.startswith("exports/findings-"), download["Location"]
    body = client("s3").get_object(Bucket=_export_bucket(), Key=key)["Body"].read()
    assert body.startswith(b"finding_id"), body[:80]


def _rollback(execution_id: str) -> None:
    """The rollback the console asked for, run by the workflow's tasks as the state machine
    would run them (the workload's state machine is a one-state stand-in)."""
    rollback = ExecutionModel.get(str(ExecutionModel.get(execution_id).rolled_back_by))
    started = client("stepfunctions").describe_execution(
        executionArn=str(rollback.sfn_execution_arn)
    )
    items = parse_finding.handler(json.loads(started["input"]))["items"]
    outcome = dispatch_finding.handler(dict(items[0]))
    assert outcome["result"]["status"] == "succeeded", outcome
    assert ExecutionModel.get(execution_id).status == "rolled_back"
    assert ControlModel.get("S3.2", "CONTROL").exemptions


def workload_run(data_dir: Path) -> None:
    """Run the workload (see the module docstring)."""
    finding = member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_type="AwsS3Bucket",
        resource_id=f"arn:aws:s3:::{BUCKET}",
        control_id="S3.2",
        region=FINDING_REGION,
    )
    finding["Workflow"] = {"Status": "NEW"}
    finding["RecordState"] = "ACTIVE"
    skipped = member_finding("asff_findings/asr_afsbp_ec2.2.json", control_id=SKIPPED_CONTROL)
    skipped["Workflow"] = {"Status": "NEW"}
    skipped["RecordState"] = "ACTIVE"
    _stage(finding)
    with securityhub_updates_answered() as updates, local_lambda(data_dir):
        _install()
        collect_findings.handler({"full": True}, None)
        execution_id = _remediate(finding, skipped)
        assert {u["Workflow"]["Status"] for u in updates} == {"NOTIFIED", "RESOLVED"}
        _console(finding, execution_id)
        [triaged] = [u for u in updates if u.get("Note", {}).get("Text") == BULK_NOTE]
        assert triaged["FindingIdentifiers"][0]["Id"] == finding["Id"]
        _rollback(execution_id)
        assert updates[-1]["Workflow"]["Status"] == "NEW"
        _reinstall_and_uninstall()
