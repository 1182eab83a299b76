"""The remediation workflow end to end on the local runtime: a public bucket in a member account,
a FAILED S3.2 finding imported into the local Security Hub, the Imported event on the local bus,
moto running the real state machine, the installed S3.2 reactor fixing the policy in that
account, the finding RESOLVED, the execution and the notification recorded."""

from __future__ import annotations

import contextlib
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from emulator.bus import bus_current, bus_event_publish
from emulator.demo import demo_seed, public_bucket_name
from ouroboros.aws import assume_role_session, client
from ouroboros.controls.configuration import control_assign_reactor_many
from ouroboros.errors import ConflictError
from ouroboros.executions.selectors import executions_of_finding
from ouroboros.models import ControlModel, ExecutionModel, LocalReactorModel
from ouroboros.models.controls import Exemption
from ouroboros.notify.delivery import notification_deliveries_list
from ouroboros.observability.logging import correlation_id_of
from ouroboros.observability.metric_files import (
    METRICS_FILE,
    metric_records_read,
    metric_totals,
)
from ouroboros.observability.metrics import REACTOR_ERRORS, REMEDIATIONS, SKIPS
from ouroboros.reactors.services import reactor_install
from ouroboros.workflow.manual import remediation_start
from ouroboros.workflow.rollback import execution_rollback_start
from tests.reactor_support import (
    MEMBER,
    approval,
    built_artifact,
    hub_publish,
    member_finding,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.long]

BUCKET = public_bucket_name(MEMBER)


def member_s3() -> Any:
    session = assume_role_session(
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole", external_id=""
    )
    return client("s3", session=session)


def policy_sids(bucket: str) -> list[str]:
    policy = json.loads(member_s3().get_bucket_policy(Bucket=bucket)["Policy"])
    return [s.get("Sid") for s in policy["Statement"]]


def installed_s3_reactor(mode: str = "auto") -> None:
    demo_seed()  # its own findings are skipped (no reactor yet): let them settle first
    wait_for(lambda: executions_settled(state_machine_arn()), "the demo's executions", 120)
    hub_publish(built_artifact("s3_public_read"))
    wait_for(
        lambda: (
            __import__("ouroboros.models", fromlist=["HubReactorModel"])
            .HubReactorModel.get("s3-public-read", "1.0.0")
            .status
            == "verified"
        ),
        "verification",
    )
    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="alice"
    )
    wait_for(lambda: LocalReactorModel.get("s3-public-read").status == "installed", "install")
    control_assign_reactor_many(
        control_ids=["S3.2"], reactor_id="s3-public-read", mode=mode, actor="alice"
    )


def s3_finding(bucket: str, *, finding_id: str | None = None) -> dict[str, Any]:
    finding = member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_type="AwsS3Bucket",
        resource_id=f"arn:aws:s3:::{bucket}",
        control_id="S3.2",
    )
    finding["Id"] = finding_id or finding["Id"] + "-e2e"
    finding["Workflow"] = {"Status": "NEW"}
    finding["RecordState"] = "ACTIVE"
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    finding["UpdatedAt"] = now
    return finding


def hub_finding(finding_id: str) -> dict[str, Any]:
    found = client("securityhub").get_findings(
        Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]}
    )["Findings"]
    return dict(found[0])


def executions(finding_id: str, status: str | None = None) -> list[ExecutionModel]:
    items = executions_of_finding(finding_id=finding_id)
    return [e for e in items if status is None or e.status == status]


def test_public_bucket_is_fixed_end_to_end(
    local_runtime: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bucket is fixed, the finding RESOLVED, the notification delivered; and the finding's
    correlation id is in the JSON log lines of Parse, Dispatch, the reactor, Send Notification
    and the subscriber, each logging as its own function (issue 26)."""
    installed_s3_reactor()
    assert "PublicRead" in policy_sids(BUCKET)
    finding = s3_finding(BUCKET)
    client("securityhub").batch_import_findings(Findings=[finding])

    done = wait_for(lambda: executions(finding["Id"], "succeeded"), "the remediation", 90)
    assert policy_sids(BUCKET) == ["AdminAccess"]
    execution = done[0]
    assert execution.account_id == MEMBER and execution.trigger == "event"
    assert execution.reactor_id == "s3-public-read" and execution.reactor_version == "1.0.0"
    assert execution.changes and execution.rollback
    wait_for(lambda: hub_finding(finding["Id"])["Workflow"]["Status"] == "RESOLVED", "RESOLVED")
    assert "s3-public-read" in hub_finding(finding["Id"])["Note"]["Text"]
    delivered = wait_for(
        lambda: [
            d for d in notification_deliveries_list() if d["message"]["finding_id"] == finding["Id"]
        ],
        "the notification",
    )
    assert delivered[0]["message"]["status"] == "succeeded"

    correlation_id = delivered[0]["message"]["correlation_id"]
    assert correlation_id == correlation_id_of(
        finding_id=finding["Id"], version=str(execution.finding_updated_at)
    )
    lines = json_log_lines(capsys.readouterr().out)
    followed = [line for line in lines if line.get("correlation_id") == correlation_id]
    assert {line["service"] for line in followed} >= {
        "parse_finding",
        "dispatch_finding",
        "send_notification",
        "notify_subscriber",
    }
    reactor = [line for line in followed if line["message"].startswith("reactor s3-public-read")]
    assert reactor and reactor[0]["execution_id"] == execution.execution_id
    assert {line["finding_id"] for line in followed} == {finding["Id"]}
    assert {line["account"] for line in followed} == {MEMBER}
    assert all(line["control_id"] == "S3.2" for line in followed)


def json_log_lines(out: str) -> list[dict[str, Any]]:
    """The JSON log lines among what the functions wrote to stdout."""
    lines = []
    for line in out.splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                lines.append(json.loads(line))
    return [line for line in lines if "message" in line]


def remediation_metrics(data_dir: Path, outcome: str) -> float:
    """The ``Remediations`` of S3.2 with ``outcome`` the local runtime recorded."""
    totals = metric_totals(metric_records_read(data_dir / METRICS_FILE))
    wanted = (REMEDIATIONS, (("ControlId", "S3.2"), ("Outcome", outcome)))
    return sum(t.total for t in totals if (t.name, t.dimensions) == wanted)


def imported_event(findings: list[dict[str, Any]], event_id: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": "123456789012",
        "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "region": "us-east-1",
        "resources": [f["ProductArn"] for f in findings],
        "detail": {"findings": findings},
    }


def executions_settled(runtime_arn: str) -> bool:
    bus = bus_current()
    assert bus is not None
    bus.wait_idle()
    running = client("stepfunctions").list_executions(
        stateMachineArn=runtime_arn, statusFilter="RUNNING"
    )["executions"]
    return not running


def skips_counted(runtime: Any, reason: str) -> float:
    """Findings the Imported pre-filter skipped for ``reason`` (no execution item, only counted:
    `ouroboros.workflow.prefilter`), from the runtime's metrics."""
    totals = metric_totals(metric_records_read(runtime.data_dir / METRICS_FILE))
    return sum(t.total for t in totals if (t.name, t.dimensions) == (SKIPS, (("Reason", reason),)))


def state_machine_arn() -> str:
    machines = client("stepfunctions").list_state_machines()["stateMachines"]
    return str(machines[0]["stateMachineArn"])


def test_replaying_the_event_five_times_remediates_once(local_runtime: Any) -> None:
    installed_s3_reactor()
    finding = s3_finding(BUCKET)
    client("securityhub").batch_import_findings(Findings=[finding])  # the first delivery
    for number in range(4):  # four replays of the same finding version
        bus_event_publish(event=imported_event([finding], f"replay-{number}"))
    wait_for(lambda: executions_settled(state_machine_arn()), "all executions", 120)
    succeeded = executions(finding["Id"], "succeeded")
    assert len(succeeded) == 1
    assert not executions(finding["Id"], "failed")
    assert policy_sids(BUCKET) == ["AdminAccess"]
    # Replays that came after the run claimed this version start nothing (the pre-filter reads
    # its idempotency marker); those that came before it reach the workflow, which runs nothing.
    sfn = client("stepfunctions").list_executions(stateMachineArn=state_machine_arn())
    started = [e for e in sfn["executions"] if e["name"].startswith("imported-")]
    assert len(started) + skips_counted(local_runtime, "already_handled") >= 5

    # A replay after the fact runs nothing either: the public statement put back stays.
    member_s3().put_bucket_policy(
        Bucket=BUCKET,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PublicRead",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{BUCKET}/*",
                    }
                ],
            }
        ),
    )
    bus_event_publish(event=imported_event([finding], "replay-late"))
    wait_for(lambda: executions_settled(state_machine_arn()), "the late replay", 60)
    assert policy_sids(BUCKET) == ["PublicRead"]
    assert len(executions(finding["Id"], "succeeded")) == 1


def test_a_failing_reactor_is_recorded_and_the_other_findings_still_succeed(
    local_runtime: Any,
) -> None:
    installed_s3_reactor()
    good = s3_finding(BUCKET)
    bad = s3_finding("ouroboros-no-such-bucket", finding_id=good["Id"] + "-missing")
    client("securityhub").batch_import_findings(Findings=[bad, good])

    failed = wait_for(lambda: executions(bad["Id"], "failed"), "the failure", 90)
    wait_for(lambda: executions(good["Id"], "succeeded"), "the good finding", 90)
    assert policy_sids(BUCKET) == ["AdminAccess"]
    assert "ouroboros-no-such-bucket" in str(failed[0].error)
    assert failed[0].error_type and failed[0].finished_at
    assert len(executions(bad["Id"], "failed")) == 1  # recorded once, not twice
    delivered = wait_for(
        lambda: [
            d for d in notification_deliveries_list() if d["message"]["finding_id"] == bad["Id"]
        ],
        "the failure notification",
    )
    assert delivered[0]["message"]["status"] == "failed"
    assert hub_finding(bad["Id"])["Workflow"]["Status"] != "RESOLVED"
    # Issue 26: the failure is counted (what the reactor-errors alarm and the dashboard read).
    assert remediation_metrics(local_runtime.data_dir, "failed") == 1
    assert remediation_metrics(local_runtime.data_dir, "remediated") >= 1  # the good one
    totals = metric_totals(metric_records_read(local_runtime.data_dir / METRICS_FILE))
    errors = [t for t in totals if t.name == REACTOR_ERRORS]
    assert [(t.dimensions, t.total) for t in errors] == [((("ReactorId", "s3-public-read"),), 1)]


def test_an_exempt_resource_is_never_changed_and_its_skip_is_counted(local_runtime: Any) -> None:
    installed_s3_reactor()
    control = ControlModel.get("S3.2", "CONTROL")
    control.exemptions = [
        Exemption(
            exemption_id="e1",
            resource_pattern="arn:aws:s3:::ouroboros-demo-public-*",
            reason="public website, approved by security",
            created_by="alice",
            created_at=datetime.now(UTC),
            expires_at=datetime.now(UTC) + timedelta(days=30),
        )
    ]
    control.save()
    finding = s3_finding(BUCKET)
    client("securityhub").batch_import_findings(Findings=[finding])

    # Exempt: the pre-filter starts no execution and writes no execution item; it counts the skip.
    wait_for(lambda: skips_counted(local_runtime, "exempt") >= 1, "the skip", 90)
    assert not executions(finding["Id"])
    wait_for(lambda: executions_settled(state_machine_arn()), "the execution", 60)
    assert "PublicRead" in policy_sids(BUCKET)
    assert not executions(finding["Id"], "succeeded")
    assert hub_finding(finding["Id"])["Workflow"]["Status"] == "NEW"


def test_manual_mode_waits_then_dry_run_real_run_and_rollback(local_runtime: Any) -> None:
    installed_s3_reactor(mode="manual")
    finding = s3_finding(BUCKET)
    client("securityhub").batch_import_findings(Findings=[finding])
    wait_for(lambda: skips_counted(local_runtime, "manual_mode") >= 1, "the skip", 90)
    assert not executions(finding["Id"])  # counted only: the pre-filter started nothing

    remediation_start(finding_id=finding["Id"], actor="otto", dry_run=True)
    dry = wait_for(lambda: executions(finding["Id"], "succeeded"), "the dry run", 90)
    assert dry[0].dry_run and dry[0].actor == "otto" and dry[0].trigger == "manual"
    assert dry[0].changes  # what would change
    assert "PublicRead" in policy_sids(BUCKET)
    assert hub_finding(finding["Id"])["Workflow"]["Status"] == "NEW"

    remediation_start(finding_id=finding["Id"], actor="otto")
    real = wait_for(
        lambda: [e for e in executions(finding["Id"], "succeeded") if not e.dry_run], "the run", 90
    )
    assert policy_sids(BUCKET) == ["AdminAccess"]
    wait_for(lambda: hub_finding(finding["Id"])["Workflow"]["Status"] == "RESOLVED", "RESOLVED")

    asked = execution_rollback_start(execution_id=real[0].execution_id, actor="otto")
    assert asked.status == "pending" and asked.trigger == "rollback"
    with pytest.raises(ConflictError):  # asked once: a second operator cannot
        execution_rollback_start(execution_id=real[0].execution_id, actor="otto")
    wait_for(
        lambda: ExecutionModel.get(real[0].execution_id).status == "rolled_back", "the rollback", 90
    )
    assert ExecutionModel.get(asked.execution_id).status == "succeeded"
    assert sorted(policy_sids(BUCKET)) == ["AdminAccess", "PublicRead"]
    reopened = wait_for(
        lambda: (
            hub_finding(finding["Id"])["Workflow"]["Status"] == "NEW" and hub_finding(finding["Id"])
        ),
        "NEW",
    )
    assert asked.execution_id in reopened["Note"]["Text"]
    with pytest.raises(ConflictError):
        execution_rollback_start(execution_id=real[0].execution_id, actor="otto")


def test_the_custom_action_remediates_with_its_actor_recorded(local_runtime: Any) -> None:
    installed_s3_reactor(mode="manual")  # events wait for an operator; the custom action is one
    finding = s3_finding(BUCKET)
    client("securityhub").batch_import_findings(Findings=[finding])
    wait_for(lambda: skips_counted(local_runtime, "manual_mode") >= 1, "the skip", 90)

    out = io.StringIO()
    call_command("securityhub_custom_action", finding["Id"], stdout=out)
    sent = re.search(r"event (\S+) \((arn:aws:securityhub:[^)]+)\)", out.getvalue())
    assert sent and sent.group(2).endswith(":action/custom/OuroborosRemediate")
    done = wait_for(lambda: executions(finding["Id"], "succeeded"), "the custom action's run", 90)
    assert (done[0].trigger, done[0].actor) == (
        "custom_action",
        "securityhub:Fix with Ouroboros",
    )
    assert policy_sids(BUCKET) == ["AdminAccess"]
    wait_for(lambda: hub_finding(finding["Id"])["Workflow"]["Status"] == "RESOLVED", "RESOLVED")
    bus = bus_current()
    assert bus is not None
    delivered = [d for d in bus.deliveries() if d.event_id == sent.group(1)]
    assert [(d.rule, d.ok) for d in delivered] == [("ouroboros-custom-action", True)]

    with pytest.raises(CommandError, match="no finding nope"):
        call_command("securityhub_custom_action", "nope", stdout=io.StringIO())


@pytest.mark.django_db
def test_a_parameter_set_in_the_console_reaches_the_reactor(local_runtime: Any) -> None:
    """Issue 19: SQS.1's KMS key, set on the control's console form, is the key the installed
    reactor encrypts the member account's queue with, and the execution records it."""
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.urls import reverse

    from emulator.demo import demo_member_account
    from ouroboros.controls.services import control_catalog_upsert
    from ouroboros.models import HubReactorModel
    from ouroboros.securityhub.catalog import FSBP_STANDARD_ID, catalog_controls

    demo_member_account(MEMBER)  # the member role the reactor assumes (not the demo's findings)
    control_catalog_upsert(
        controls=[c for c in catalog_controls() if c.control_id == "SQS.1"],
        standard_id=FSBP_STANDARD_ID,
    )
    hub_publish(built_artifact("sqs_queue_encryption"))
    wait_for(
        lambda: HubReactorModel.get("sqs-queue-encryption", "1.0.0").status == "verified",
        "verification",
    )
    reactor_install(
        reactor_id="sqs-queue-encryption",
        approved_actions=approval("sqs-queue-encryption"),
        actor="alice",
    )
    wait_for(lambda: LocalReactorModel.get("sqs-queue-encryption").status == "installed", "install")
    user = User.objects.create_user(username="otto", password="x" * 12)
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    console = Client()
    console.force_login(user)
    version = ControlModel.get("SQS.1", "CONTROL").version or 0
    saved = console.post(
        reverse("control_configure", args=["SQS.1"]),
        {
            "reactor_id": "sqs-queue-encryption",
            "params_reactor": "",  # first assignment: the page had no parameter fields yet
            "mode": "auto",
            "version": str(version),
        },
    )
    assert saved.status_code == 302
    page = console.get(reverse("control_detail", args=["SQS.1"])).content.decode()
    assert 'name="param_kms_key_id"' in page  # the fields of the reactor now assigned
    saved = console.post(
        reverse("control_configure", args=["SQS.1"]),
        {
            "reactor_id": "sqs-queue-encryption",
            "params_reactor": "sqs-queue-encryption",
            "mode": "auto",
            "version": str(version + 1),
            "param_kms_key_id": "alias/ouroboros-e2e",
        },
    )
    assert saved.status_code == 302

    session = assume_role_session(
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole", external_id=""
    )
    sqs = client("sqs", session=session)
    url = sqs.create_queue(
        QueueName="ouroboros-params-e2e", Attributes={"SqsManagedSseEnabled": "false"}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    finding = member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_type="AwsSqsQueue",
        resource_id=arn,
        control_id="SQS.1",
    )
    finding["Id"] += "-sqs-params"
    finding["Workflow"] = {"Status": "NEW"}
    finding["RecordState"] = "ACTIVE"
    finding["UpdatedAt"] = (
        datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    client("securityhub").batch_import_findings(Findings=[finding])

    done = wait_for(lambda: executions(finding["Id"], "succeeded"), "the remediation", 90)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes.get("KmsMasterKeyId") == "alias/ouroboros-e2e"
    assert done[0].params.as_dict() == {"kms_key_id": "alias/ouroboros-e2e"}
    shown = console.get(reverse("execution_detail", args=[done[0].execution_id])).content.decode()
    assert "alias/ouroboros-e2e" in shown.split('id="execution-params"')[1].split("</dd>")[0]
