"""Security Hub V2 end to end on the local runtime (issue 22's acceptance): the real SQS.1 FAILED
OCSF sample (``tests/events/ocsf/02_...``), moved to a member account and its unencrypted queue,
sent in a "Findings Imported V2" envelope like sample 09, is fixed by ``sqs-queue-encryption`` in
that account and resolved in the local Security Hub through ``BatchUpdateFindingsV2``.

The finding is first imported into the local Security Hub (a V2 finding must exist there to be
updated); that import's own event finds no reactor on SQS.1 yet and is skipped. Then the reactor
is assigned and the envelope is put on the bus: the rule's OCSF alternative starts the state
machine, Parse hands the reactor the ASFF-shaped conversion, Dispatch writes back through V2.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.bus import bus_event_publish
from emulator.demo import demo_member_account
from emulator.securityhub_import import local_securityhub_endpoint, ocsf_findings_import
from ouroboros.aws import assume_role_session, client
from ouroboros.controls.configuration import control_assign_reactor_many
from ouroboros.controls.services import control_catalog_upsert
from ouroboros.executions.selectors import executions_of_finding
from ouroboros.models import ExecutionModel, FindingModel, HubReactorModel, LocalReactorModel
from ouroboros.observability.metric_files import (
    METRICS_FILE,
    metric_records_read,
    metric_totals,
)
from ouroboros.observability.metrics import SKIPS
from ouroboros.reactors.services import reactor_install
from ouroboros.securityhub.catalog import FSBP_STANDARD_ARN, FSBP_STANDARD_ID, catalog_controls
from tests.conftest import load_event
from tests.reactor_support import MEMBER, approval, built_artifact, hub_publish, wait_for

pytestmark = pytest.mark.integration

REACTOR = "sqs-queue-encryption"
QUEUE = "ouroboros-ocsf-e2e"
REGION = "us-east-1"
SAMPLE = "ocsf/02_shcspm_control_SQS.1_compliance_fail_new.json"
ENVELOPE = "ocsf/09_guardduty_detection_finding_in_FindingsImportedV2_event.json"


def member_sqs() -> Any:
    session = assume_role_session(
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole", external_id=""
    )
    return client("sqs", session=session, region=REGION)


def member_ocsf_finding(queue_url: str, queue_arn: str) -> dict[str, Any]:
    """Sample 02 as Security Hub V2 would report the member's queue now (a fresh finding)."""
    finding = copy.deepcopy(load_event(SAMPLE))
    finding_uid = (
        f"arn:aws:securityhub:{REGION}:{MEMBER}:security-control/SQS.1/finding/{uuid.uuid4()}"
    )
    now = datetime.now(UTC)
    stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    info = finding["finding_info"]
    info["uid"] = finding_uid
    info["modified_time_dt"] = info["last_seen_time_dt"] = stamp
    info["modified_time"] = info["last_seen_time"] = int(now.timestamp() * 1000)
    finding["cloud"].update(account={"uid": MEMBER}, region=REGION)
    finding["metadata"]["product"]["uid"] = (
        f"arn:aws:securityhub:{REGION}::productv2/aws/securityhub"
    )
    finding["metadata"]["uid"] = hashlib.sha256(finding_uid.encode()).hexdigest()
    resource = finding["resources"][0]
    resource.update(region=REGION, uid=queue_url, uid_alt=queue_arn)
    resource["owner"] = {"account": {"uid": MEMBER}}
    return finding


def imported_v2_envelope(finding: dict[str, Any]) -> dict[str, Any]:
    """Sample 09's real envelope around ``finding``: ``resources[0]`` is its ``metadata.uid``."""
    event = load_event(ENVELOPE)
    event.update(
        id=str(uuid.uuid4()),
        account="123456789012",
        region=REGION,
        time=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        resources=[finding["metadata"]["uid"]],
        detail={"findings": [finding]},
    )
    return event


def hub_v2_finding(finding_uid: str) -> dict[str, Any]:
    filters = {
        "CompositeFilters": [
            {
                "StringFilters": [
                    {
                        "FieldName": "finding_info.uid",
                        "Filter": {"Value": finding_uid, "Comparison": "EQUALS"},
                    }
                ]
            }
        ]
    }
    [found] = client("securityhub").get_findings_v2(Filters=filters)["Findings"]
    return dict(found)


def executions(finding_id: str, status: str) -> list[ExecutionModel]:
    return [e for e in executions_of_finding(finding_id=finding_id) if e.status == status]


def no_reactor_skips(runtime: Any) -> float:
    """Findings the Imported pre-filter counted as skipped for want of a reactor."""
    totals = metric_totals(metric_records_read(runtime.data_dir / METRICS_FILE))
    wanted = (SKIPS, (("Reason", "no_reactor"),))
    return sum(t.total for t in totals if (t.name, t.dimensions) == wanted)


def test_an_ocsf_sqs_1_finding_is_fixed_and_resolved_through_v2(local_runtime: Any) -> None:
    control_catalog_upsert(
        controls=[c for c in catalog_controls() if c.control_id == "SQS.1"],
        standard_id=FSBP_STANDARD_ID,
        standard_arn=FSBP_STANDARD_ARN,
    )
    demo_member_account(MEMBER)  # the member's remediation role
    sqs = member_sqs()
    url = sqs.create_queue(QueueName=QUEUE, Attributes={"SqsManagedSseEnabled": "false"})[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    finding = member_ocsf_finding(url, arn)
    finding_id = finding["finding_info"]["uid"]

    # Security Hub V2 holds the finding; its own import event finds no reactor yet: the
    # pre-filter counts the skip and starts nothing (`ouroboros.workflow.prefilter`).
    answer = ocsf_findings_import(local_securityhub_endpoint(), [finding])
    assert answer["SuccessCount"] == 1, answer
    wait_for(lambda: no_reactor_skips(local_runtime) >= 1, "the import event's skip", 60)
    assert not executions(finding_id, "skipped")
    stored = hub_v2_finding(finding_id)
    assert stored["status_id"] == 1

    hub_publish(built_artifact("sqs_queue_encryption"))
    wait_for(lambda: HubReactorModel.get(REACTOR, "1.0.0").status == "verified", "verification")
    reactor_install(reactor_id=REACTOR, approved_actions=approval(REACTOR), actor="alice")
    wait_for(lambda: LocalReactorModel.get(REACTOR).status == "installed", "install", 90)
    control_assign_reactor_many(
        control_ids=["SQS.1"], reactor_id=REACTOR, mode="auto", actor="alice"
    )

    bus_event_publish(event=imported_v2_envelope(stored))

    [done] = wait_for(lambda: executions(finding_id, "succeeded"), "the remediation", 90)
    assert (done.account_id, done.trigger, done.reactor_id) == (MEMBER, "event", REACTOR)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes.get("SqsManagedSseEnabled") == "true"
    resolved = wait_for(
        lambda: (lambda f: f if f["status_id"] == 4 else None)(hub_v2_finding(finding_id)),
        "the V2 finding Resolved",
    )
    assert resolved["status"] == "Resolved"
    assert REACTOR in str(resolved.get("comment"))
    # The update's own V2 event reaches the findings table; it starts nothing (loop guard).
    wait_for(
        lambda: FindingModel.get(finding_id).workflow_status == "RESOLVED", "the stored finding"
    )
    item = FindingModel.get(finding_id)
    assert "ocsf" in (item.formats or []) and item.metadata_uid == finding["metadata"]["uid"]
    assert len(executions(finding_id, "succeeded")) == 1
