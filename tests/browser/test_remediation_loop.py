"""The remediation loop in a real Chromium against the whole local runtime: from a finding, dry
run -> the diff -> apply -> the bucket is fixed -> roll back -> the bucket is as before, the
finding is NEW with a note, MTTR unchanged -> Security Hub imports the finding again (auto mode
now) and no new run starts: the rollback's exemption holds.

The console runs in pytest-django's ``live_server`` (a thread of this process) against the local
runtime of ``local_runtime`` (DynamoDB Local, moto server, the state machine really run, the
installed reactor's artifact run in process, the local Security Hub and its event bus).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from ouroboros.aggregates import aggregate_read
from ouroboros.aws import assume_role_session, client
from ouroboros.controls.configuration import control_assign_reactor
from ouroboros.executions.selectors import executions_of_finding
from ouroboros.models import ControlModel, FindingModel, HubReactorModel, LocalReactorModel
from ouroboros.reactors.services import reactor_install
from tests.reactor_support import (
    BUCKET,
    MEMBER,
    OWNER,
    PUBLIC,
    approval,
    built_artifact,
    hub_publish,
    member_finding,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

REACTOR = "s3-public-read"
#: Generous bounds for the workflow (polled, not timing assertions), in milliseconds.
WORKFLOW_MS = 90_000


def member_s3() -> Any:
    role = f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole"
    return assume_role_session(role, session_name="loop-test").client("s3")


def policy_sids() -> list[str]:
    policy = json.loads(member_s3().get_bucket_policy(Bucket=BUCKET)["Policy"])
    return sorted(s.get("Sid") for s in policy["Statement"])


def hub_finding(finding_id: str) -> dict[str, Any]:
    found = client("securityhub").get_findings(
        Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]}
    )["Findings"]
    return dict(next(f for f in found if f["Id"] == finding_id))


def mttr() -> tuple[int, int]:
    """(findings counted, their seconds) over every day of the MTTR aggregate."""
    buckets = aggregate_read("executions#mttr")
    count = sum(v for k, v in buckets.items() if k.endswith("#count"))
    return count, sum(v for k, v in buckets.items() if k.endswith("#seconds"))


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def assign(mode: str) -> None:
    """S3.2 gets the reactor in ``mode`` (created first when the collector has not yet)."""
    try:
        control = ControlModel.get("S3.2", "CONTROL")
    except ControlModel.DoesNotExist:
        ControlModel("S3.2", title="S3.2").save()
        control = ControlModel.get("S3.2", "CONTROL")
    control_assign_reactor(
        control_id="S3.2",
        expected_version=int(control.version or 0),
        reactor_id=REACTOR,
        mode=mode,
        actor="alice",
    )


def stage() -> dict[str, Any]:
    """A public bucket in the member account, the S3.2 reactor installed and assigned in manual
    mode, and the bucket's FAILED finding imported into Security Hub (and stored)."""
    s3 = member_s3()
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [PUBLIC, OWNER]})
    )
    hub_publish(built_artifact("s3_public_read"))
    wait_for(lambda: HubReactorModel.get(REACTOR, "1.0.0").status == "verified", "verification")
    reactor_install(reactor_id=REACTOR, approved_actions=approval(REACTOR), actor="alice")
    wait_for(lambda: LocalReactorModel.get(REACTOR).status == "installed", "install", 90)
    assign("manual")
    finding = member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_type="AwsS3Bucket",
        resource_id=f"arn:aws:s3:::{BUCKET}",
        control_id="S3.2",
    )
    finding.update(Workflow={"Status": "NEW"}, RecordState="ACTIVE", UpdatedAt=now())
    client("securityhub").batch_import_findings(Findings=[finding])
    wait_for(lambda: FindingModel.count(finding["Id"]) == 1, "the finding stored")
    return finding


def test_dry_run_apply_roll_back_and_the_exemption_holds(
    local_runtime: Any,
    live_server: Any,
    transactional_db: None,
    browser: Any,
    screenshot: Callable[[Any, str], Path],
) -> None:
    finding = stage()
    otto = User.objects.create_user("otto", password="otto-password-1")
    otto.groups.add(Group.objects.get_or_create(name="operator")[0])
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", "otto")
        page.fill("#id_password", "otto-password-1")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/findings/detail/?id={finding['Id']}")

        # Dry run: the page waits for it, then shows exactly what would change.
        page.click("#dry-run-button")
        page.wait_for_selector("#finding-diff .diff-del", timeout=WORKFLOW_MS)
        removed = page.locator("#finding-diff .diff-del").all_inner_texts()
        assert any("PublicRead" in line for line in removed), removed
        assert not any("OwnerFullAccess" in line for line in removed), removed
        assert "Dry run" in page.inner_text("#latest-run h3")
        assert policy_sids() == ["OwnerFullAccess", "PublicRead"]  # nothing changed yet
        screenshot(page, "dry-run-diff")
        before = mttr()

        # Apply: the remediation runs; the bucket is fixed.
        page.click("#apply-form button[type=submit]")
        page.wait_for_selector("#rollback-confirm", timeout=WORKFLOW_MS)
        assert "Remediation" in page.inner_text("#latest-run h3")
        assert policy_sids() == ["OwnerFullAccess"]
        assert mttr()[0] == before[0] + 1  # the fix counts...
        wait_for(lambda: hub_finding(finding["Id"])["Workflow"]["Status"] == "RESOLVED", "fix")
        screenshot(page, "applied")

        # Roll back, confirmed: it runs in the workflow; the page follows it.
        page.click("#rollback-confirm summary")
        page.click("#rollback-form button[type=submit]")
        page.wait_for_selector("#finding-exemption", timeout=WORKFLOW_MS)
        page.wait_for_selector("#latest-status >> text=succeeded", timeout=WORKFLOW_MS)
        assert "Rollback" in page.inner_text("#latest-run h3")
        assert "rolled back by otto" in page.inner_text("#finding-exemption")
        screenshot(page, "rolled-back")
    finally:
        context.close()

    assert policy_sids() == ["OwnerFullAccess", "PublicRead"]  # as before
    reopened = hub_finding(finding["Id"])
    assert reopened["Workflow"]["Status"] == "NEW"
    assert "Rolled back by Ouroboros" in reopened["Note"]["Text"]
    assert mttr() == before  # the fix no longer counts

    # Security Hub evaluates again: FAILED, NEW; auto mode now, and still no run.
    assign("auto")
    imported_at = now()
    skipped_bucket = f"{datetime.now(UTC):%Y-%m-%d}#skipped"
    skipped_before = aggregate_read("executions#day").get(skipped_bucket, 0)
    again = {**finding, "UpdatedAt": imported_at, "Workflow": {"Status": "NEW"}}
    client("securityhub").batch_import_findings(Findings=[again])
    # Exempt: the Imported pre-filter starts nothing and only counts the skip
    # (`ouroboros.workflow.prefilter`).
    wait_for(
        lambda: aggregate_read("executions#day").get(skipped_bucket, 0) > skipped_before,
        "the exempt skip",
        WORKFLOW_MS / 1000,
    )
    assert policy_sids() == ["OwnerFullAccess", "PublicRead"]
    real_runs = [
        e
        for e in executions_of_finding(finding_id=finding["Id"])
        if e.status in ("succeeded", "running", "rolled_back")
        and not e.dry_run
        and e.trigger != "rollback"
    ]
    assert [e.status for e in real_runs] == ["rolled_back"]  # only the one rolled back
