"""Issue 17, item 1, on the local runtime: a custom product's finding posing as S3.2 (the red
team's impostor) is imported while S3.2 is in auto mode with its reactor installed. The finding
is stored and shown, every way it can reach the workflow records it as skipped with the product
ARN in the reason, and the member account's public bucket is left as it was."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from emulator.bus import bus_event_publish
from ouroboros.aws import client
from ouroboros.errors import ConflictError
from ouroboros.models import FindingModel
from ouroboros.workflow.manual import remediation_start
from tests.integration.test_workflow_e2e import (
    BUCKET,
    executions,
    executions_settled,
    hub_finding,
    imported_event,
    installed_s3_reactor,
    policy_sids,
    s3_finding,
    state_machine_arn,
)
from tests.reactor_support import MEMBER, member_finding, wait_for

pytestmark = pytest.mark.integration

IMPOSTOR_PRODUCT = "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"


def impostor() -> dict[str, Any]:
    """The issue's finding: GeneratorId security-control/S3.2 from a custom product, aimed at
    the member account's public bucket."""
    finding = s3_finding(BUCKET)
    finding["Id"] = f"{IMPOSTOR_PRODUCT}/s3-2-impostor"
    finding["ProductArn"] = IMPOSTOR_PRODUCT
    finding["GeneratorId"] = "security-control/S3.2"
    return finding


def stored(finding_id: str) -> FindingModel | None:
    try:
        return FindingModel.get(finding_id)
    except FindingModel.DoesNotExist:
        return None


def skip_reasons(finding_id: str) -> list[tuple[str, str]]:
    return [(str(e.trigger), str(e.skip_reason)) for e in executions(finding_id, "skipped")]


def test_an_impostor_finding_is_stored_skipped_and_changes_nothing(local_runtime: Any) -> None:
    installed_s3_reactor(mode="auto")
    assert "PublicRead" in policy_sids(BUCKET)
    fake = impostor()
    client("securityhub").batch_import_findings(Findings=[fake])

    # Stored and shown: Security Hub holds it and the collectors' Imported path stored it.
    kept = wait_for(lambda: stored(fake["Id"]), "the impostor stored", 60)
    assert (kept.product_arn, kept.control_id, kept.account_id) == (
        IMPOSTOR_PRODUCT,
        "S3.2",
        MEMBER,
    )
    # The "Findings - Imported" rule is narrowed to Security Hub's own product: its Imported
    # event started no workflow, and the function that stored it recorded it as skipped with
    # the product in the reason.
    wait_for(lambda: skip_reasons(fake["Id"]), "the lone import's skip", 60)
    wait_for(lambda: executions_settled(state_machine_arn()), "the import", 60)
    assert [trigger for trigger, _ in skip_reasons(fake["Id"])] == ["event"]

    # An Imported event that carries it beside a genuine finding (the rule matches when any
    # finding matches) reaches Parse, which skips it with the product in the reason.
    genuine = member_finding("asff_findings/asr_afsbp_ec2.2.json", control_id="EC2.2")
    bus_event_publish(event=imported_event([fake, genuine], "impostor-beside-a-genuine-one"))
    wait_for(lambda: len(skip_reasons(fake["Id"])) == 2, "the event's skip", 90)

    # The custom action and an operator are refused the same way.
    call_command("securityhub_custom_action", fake["Id"], stdout=io.StringIO())
    wait_for(lambda: len(skip_reasons(fake["Id"])) == 3, "the custom action's skip", 90)
    with pytest.raises(ConflictError, match=f"untrusted product {IMPOSTOR_PRODUCT}"):
        remediation_start(finding_id=fake["Id"], actor="otto")

    wait_for(lambda: executions_settled(state_machine_arn()), "every execution", 90)
    reasons = skip_reasons(fake["Id"])
    assert sorted(trigger for trigger, _ in reasons) == [
        "custom_action",
        "event",
        "event",
        "manual",
    ]
    for _, reason in reasons:
        assert reason.startswith(f"untrusted product {IMPOSTOR_PRODUCT}:")
    assert [e.status for e in executions(fake["Id"])] == ["skipped"] * 4
    # Nothing changed in the member account, nor in Security Hub's workflow of the finding.
    assert "PublicRead" in policy_sids(BUCKET)
    assert hub_finding(fake["Id"])["Workflow"]["Status"] == "NEW"
