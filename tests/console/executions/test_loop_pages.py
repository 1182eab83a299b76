"""The remediation loop in the console (Django test client, moto in process): the dry run's
before/after diff and "Apply" on the finding's page, "Remediate now" returning to the finding and
waiting for the run, "Roll back" behind a confirmation and the page refreshing while it runs, the
exemption a rollback leaves shown on the finding, the navigation, and "Reactor available"."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from django.contrib.messages import get_messages

from console.executions.actions import finding_page_url
from lambdas import dispatch_finding, parse_finding
from ouroboros.executions.services import execution_record
from ouroboros.models import ControlModel, ExecutionModel, HubReactorModel
from ouroboros.reactors.catalog import LATEST
from ouroboros.securityhub.asff import asff_parse
from tests.console.conftest import logged_in
from tests.ouroboros.workflow.test_rollback import (
    Hub,
    remediated,
    rollback_world,
    workflow_input,
)

pytestmark = [pytest.mark.functional, pytest.mark.django_db]

REFRESH = '<meta http-equiv="refresh"'
PUBLIC = {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
OWNER = {"Sid": "AdminAccess", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}}


@pytest.fixture
def hub(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Hub:
    hub, _ = rollback_world(monkeypatch)
    return hub


def unassigned() -> None:
    """S3.2 loses its reactor."""
    control = ControlModel.get("S3.2", "CONTROL")
    control.update(actions=[ControlModel.reactor_id.remove(), ControlModel.mode.set("off")])


def execution_url(execution_id: str) -> str:
    return f"/executions/{quote(execution_id, safe='')}/"


def dry_run_of(hub: Hub) -> ExecutionModel:
    """A succeeded dry run that would remove the public statement."""
    remediated(hub).delete()  # stores the finding; only the dry run stays
    return execution_record(
        finding=asff_parse(hub.finding),
        status="succeeded",
        dry_run=True,
        trigger="manual",
        actor="otto",
        reactor_id="s3-public-read",
        changes=[
            {
                "action": "s3:PutBucketPolicy",
                "resource": "arn:aws:s3:::demo",
                "description": "remove the public read statement",
                "before": json.dumps({"Statement": [PUBLIC, OWNER]}),
                "after": json.dumps({"Statement": [OWNER]}),
            }
        ],
    )


def test_the_finding_page_shows_what_a_dry_run_would_change_and_apply(hub: Hub) -> None:
    dry_run_of(hub)
    page = finding_page_url(hub.finding["Id"])
    assert page is not None

    html = logged_in("otto", "operator").get(page).content.decode()

    assert 'id="finding-diff"' in html
    removed = [line for line in html.split("<span") if "diff-del" in line]
    assert any("PublicRead" in line for line in removed)
    assert not any("AdminAccess" in line for line in removed)  # kept: not shown as removed
    assert 'id="apply-form"' in html and 'name="dry_run" value="0"' in html
    assert 'id="rollback-form"' not in html  # a dry run changed nothing to roll back
    assert REFRESH not in html
    assert 'id="apply-form"' not in logged_in("vera", "viewer").get(page).content.decode()


def test_remediate_now_returns_to_the_finding_which_waits_for_the_run(hub: Hub) -> None:
    from ouroboros.aws import client

    client("securityhub").batch_import_findings(Findings=[hub.finding])
    remediated(hub).delete()
    page = finding_page_url(hub.finding["Id"])
    operator = logged_in("otto", "operator")

    answer = operator.post(
        f"/findings/{hub.finding['Id']}/remediate/", {"dry_run": "1", "next": page}
    )

    assert answer.status_code == 302 and answer["Location"].startswith(f"{page}&since=")
    [message] = [str(m) for m in get_messages(answer.wsgi_request)]
    assert message.startswith("Dry run started") and "progress" in message
    waiting = operator.get(answer["Location"]).content.decode()
    assert 'id="run-waiting"' in waiting and REFRESH in waiting

    # A control with no reactor: nothing starts, and the page says why.
    unassigned()
    refused = operator.post(
        f"/findings/{hub.finding['Id']}/remediate/", {"dry_run": "1", "next": page}
    )
    [message] = [str(m) for m in get_messages(refused.wsgi_request)]
    assert message == "control S3.2 has no reactor assigned: nothing to run"
    assert "since=" not in refused["Location"]


def test_roll_back_is_confirmed_runs_outside_the_request_and_the_pages_follow_it(
    hub: Hub,
) -> None:
    original = remediated(hub)
    operator = logged_in("otto", "operator")
    url = execution_url(original.execution_id)
    html = operator.get(url).content.decode()
    # The button is behind a confirmation step (no script: the page allows none).
    assert '<details class="confirm" id="rollback-confirm"><summary>Roll back' in html
    assert "Confirm roll back" in html and REFRESH not in html
    assert 'id="rollback-form"' not in logged_in("vera", "viewer").get(url).content.decode()

    answer = operator.post(f"{url}rollback/", {"next": url})

    assert answer.status_code == 302 and answer["Location"] == url
    in_progress = operator.get(url).content.decode()
    assert "Rollback in progress" in in_progress and REFRESH in in_progress
    assert 'id="rollback-form"' not in in_progress
    rollback = ExecutionModel.get(original.execution_id).rolled_back_by
    assert rollback is not None
    pending = operator.get(execution_url(rollback)).content.decode()
    assert "Rolls back" in pending and REFRESH in pending

    items = parse_finding.handler(workflow_input(ExecutionModel.get(rollback)))["items"]
    dispatch_finding.handler(dict(items[0]))

    done = operator.get(url).content.decode()
    assert 'id="execution-status">rolled_back' in done and REFRESH not in done
    finding = operator.get(str(finding_page_url(hub.finding["Id"]))).content.decode()
    assert 'id="finding-exemption"' in finding and "rolled back by otto" in finding
    assert 'id="latest-status">succeeded' in finding and "Rollback" in finding


def test_the_nav_shows_the_product_and_admin_pages_to_admins(moto_aws: None) -> None:
    viewer = logged_in("vera", "viewer").get("/executions/").content.decode()
    for link in ('href="/reactors/"', 'href="/reactors/installed/"', 'href="/notifications/"'):
        assert link in viewer
    assert 'href="/audit/"' not in viewer and 'id="nav-admin"' not in viewer
    admin = logged_in("ada", "admin").get("/executions/").content.decode()
    for link in ('href="/audit/"', 'href="/api/docs/"', 'href="/tokens/"', 'href="/admin/"'):
        assert link in admin


def test_a_control_without_reactor_names_the_hub_reactor_that_fixes_it(hub: Hub) -> None:
    HubReactorModel(
        "s3-public-read",
        "1.0.0",
        title="Remove public read",
        control_ids=["S3.2"],
        artifact_key="k",
        sha256="0" * 64,
        status="verified",
        latest=LATEST,
    ).save()
    viewer = logged_in("vera", "viewer")
    assigned = viewer.get("/controls/S3.2/").content.decode()
    assert 'id="reactor-available"' not in assigned  # S3.2 has its reactor
    unassigned()
    remediated(hub)  # stores the finding
    html = viewer.get("/controls/S3.2/").content.decode()
    assert "Reactor available:" in html and 'href="/reactors/hub/s3-public-read/"' in html
    finding = viewer.get(f"/findings/detail/?{urlencode({'id': hub.finding['Id']})}")
    assert "Reactor available:" in finding.content.decode()


def test_install_upgrade_and_uninstall_ask_first_and_status_pages_refresh(
    moto_aws: None,
) -> None:
    from ouroboros.models import LocalReactorModel

    LocalReactorModel("s3-public-read", version="1.0.0", sha256="0" * 64).save()  # installing
    operator = logged_in("otto", "operator")
    installing = operator.get("/reactors/installed/").content.decode()
    assert REFRESH in installing
    LocalReactorModel("s3-public-read", version="1.0.0", sha256="0" * 64, status="installed").save()
    installed = operator.get("/reactors/installed/").content.decode()
    assert REFRESH not in installed
    assert '<details class="confirm"><summary>Uninstall…</summary>' in installed
    assert "Confirm uninstall" in installed
