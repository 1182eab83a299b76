"""Every region served (issue 24): a finding aggregated into the home region from a second region
is fixed in that region.

The local runtime's home region is us-east-1 and its Security Hub holds findings of every region,
as an aggregating home region does (the Imported event comes from us-east-1). A member account
has an unencrypted SQS queue of the same name in us-east-1 and in us-west-2 (moto keeps each
region's queues apart); the SQS.1 finding names the us-west-2 one, with ``Region: us-west-2``.
The installed ``sqs-queue-encryption`` reactor runs in the home region, assumes the member role
and encrypts the us-west-2 queue; the us-east-1 queue is left as it was, and the finding is
RESOLVED through the home region's hub.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.demo import demo_member_account
from ouroboros.aws import assume_role_session, client
from ouroboros.controls.configuration import control_assign_reactor_many
from ouroboros.controls.services import control_catalog_upsert
from ouroboros.models import HubReactorModel, LocalReactorModel
from ouroboros.reactors.services import reactor_install
from ouroboros.securityhub.catalog import FSBP_STANDARD_ID, catalog_controls
from tests.integration.test_workflow_e2e import executions, hub_finding
from tests.reactor_support import (
    MEMBER,
    approval,
    built_artifact,
    hub_publish,
    member_finding,
    wait_for,
)

pytestmark = pytest.mark.integration

HOME, LINKED = "us-east-1", "us-west-2"
QUEUE = "ouroboros-regions-e2e"


def member_sqs(region: str) -> Any:
    """SQS of the member account in ``region`` (test set-up, not the reactor's session)."""
    session = assume_role_session(
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole", external_id=""
    )
    return client("sqs", session=session, region=region)


def unencrypted_queue(region: str) -> tuple[str, str]:
    """(URL, ARN) of the member's unencrypted queue ``QUEUE`` in ``region``."""
    sqs = member_sqs(region)
    url = sqs.create_queue(QueueName=QUEUE, Attributes={"SqsManagedSseEnabled": "false"})[
        "QueueUrl"
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, attributes["Attributes"]["QueueArn"]


def encryption(region: str, url: str) -> str | None:
    attributes = member_sqs(region).get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    return attributes["Attributes"].get("SqsManagedSseEnabled")


def installed_sqs_reactor() -> None:
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
    control_assign_reactor_many(
        control_ids=["SQS.1"], reactor_id="sqs-queue-encryption", mode="auto", actor="alice"
    )


def test_a_finding_from_a_second_region_is_fixed_in_that_region(local_runtime: Any) -> None:
    installed_sqs_reactor()
    home_url, _ = unencrypted_queue(HOME)
    linked_url, linked_arn = unencrypted_queue(LINKED)
    assert f":{LINKED}:{MEMBER}:{QUEUE}" in linked_arn
    finding = member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_type="AwsSqsQueue",
        resource_id=linked_arn,
        control_id="SQS.1",
        region=LINKED,
    )
    finding["Id"] += "-regions-e2e"
    finding["Workflow"] = {"Status": "NEW"}
    finding["RecordState"] = "ACTIVE"
    finding["UpdatedAt"] = (
        datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    assert client("securityhub").meta.region_name == HOME
    client("securityhub").batch_import_findings(Findings=[finding])

    done = wait_for(lambda: executions(finding["Id"], "succeeded"), "the remediation", 90)
    assert encryption(LINKED, linked_url) == "true"
    assert encryption(HOME, home_url) == "false"  # the home region's twin is untouched
    execution = done[0]
    assert (execution.account_id, execution.region) == (MEMBER, LINKED)
    assert [c["resource"] for c in execution.changes or []] == [linked_arn]
    wait_for(lambda: hub_finding(finding["Id"])["Workflow"]["Status"] == "RESOLVED", "RESOLVED")
    assert "sqs-queue-encryption" in hub_finding(finding["Id"])["Note"]["Text"]
