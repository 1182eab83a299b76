"""The resource endpoints: findings, controls, executions, reactors, the Hub catalog, remediate.

Each test drives the API as automation would (tokens, JSON) and checks what changed behind it:
the core data, the audit trail, and the problem details of every refusal.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from console.audit.models import AuditEntry
from console.tokens.models import ApiToken
from console.tokens.services import api_token_revoke
from ouroboros.aws import client
from ouroboros.findings.selectors import FindingFilters, finding_list
from ouroboros.models import LocalReactorModel
from tests.console.api import seed
from tests.console.api.conftest import Principal, assert_problem, bearer
from tests.findings_factory import samples_write

pytestmark = [pytest.mark.django_db, pytest.mark.functional]
JSON = "application/json"


@pytest.fixture
def data(moto_aws: None) -> dict[str, str]:
    finding_id = seed.finding_seed()
    return {
        "finding": finding_id,
        "control": seed.control_seed(),
        "execution": seed.execution_seed(finding_id),
        "hub": seed.hub_seed(),
    }


def _patch(who: Principal, control_id: str, body: dict[str, Any]) -> Any:
    return who.client.patch(f"/api/v1/controls/{control_id}", body, content_type=JSON)


def _executions_started() -> list[dict[str, Any]]:
    sfn = client("stepfunctions")
    started = []
    for machine in sfn.list_state_machines()["stateMachines"]:
        arn = machine["stateMachineArn"]
        started += sfn.list_executions(stateMachineArn=arn)["executions"]
    return started


def test_findings_list_is_the_console_selector_with_cursor_pages(
    principals: dict[str, Principal], moto_aws: None
) -> None:
    samples_write()
    seed.finding_seed()
    reader = principals["read_token"].client
    query = {"compliance": "FAILED", "limit": "3"}
    seen: list[str] = []
    cursor = None
    while True:
        response = reader.get(
            "/api/v1/findings", {**query, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= 3
        seen += [row["finding_id"] for row in body["results"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    expected = finding_list(filters=FindingFilters(compliance="FAILED"), limit=200)
    assert seen == [f.finding_id for f in expected.items] and len(seen) > 3
    assert len(set(seen)) == len(seen)
    # Sort and search as on the console: a control id search uses the control's index.
    by_control = reader.get("/api/v1/findings", {"q": "S3.5", "sort": "-updated"}).json()
    assert by_control["results"] and {r["control_id"] for r in by_control["results"]} == {"S3.5"}
    critical = reader.get("/api/v1/findings", {"severity": "CRITICAL", "compliance": "FAILED"})
    assert all(r["severity"] == "CRITICAL" for r in critical.json()["results"])
    # A cursor of another list, or an altered one, is a 400 problem naming the cursor.
    other = reader.get("/api/v1/findings", {"limit": "1"}).json()["next_cursor"]
    body = assert_problem(reader.get("/api/v1/findings", {**query, "cursor": other}), 400)
    assert body["type"] == "urn:ouroboros:problem:invalid-cursor"
    body = assert_problem(reader.get("/api/v1/findings", {"cursor": "not a cursor"}), 400)
    assert body["errors"][0]["pointer"] == "#/cursor"


def test_retrieve_finding_control_execution_hub_reactor(
    principals: dict[str, Principal], data: dict[str, str]
) -> None:
    viewer = principals["viewer"].client
    finding = viewer.get(f"/api/v1/findings/{data['finding']}").json()
    assert finding["finding_id"] == data["finding"] and finding["asff"]["Id"] == data["finding"]
    assert finding["control_id"] == "S3.5" and finding["severity"]
    control = viewer.get("/api/v1/controls/S3.5").json()
    assert (control["control_id"], control["mode"], control["version"]) == ("S3.5", "off", 0)
    assert control["standards"]
    listed = viewer.get("/api/v1/controls", {"q": "S3.5"}).json()["results"]
    assert [c["control_id"] for c in listed] == ["S3.5"]
    execution = viewer.get(f"/api/v1/executions/{seed.EXECUTION.replace('#', '%23')}").json()
    assert (execution["status"], execution["finding_id"]) == ("succeeded", data["finding"])
    page = viewer.get("/api/v1/executions", {"finding_id": data["finding"]}).json()
    assert [e["execution_id"] for e in page["results"]] == [seed.EXECUTION]
    hub = viewer.get(f"/api/v1/hub/reactors/{data['hub']}").json()
    assert (hub["version"], hub["status"], hub["manifest"]["id"]) == ("1.1.0", "verified", seed.HUB)
    older = viewer.get(f"/api/v1/hub/reactors/{data['hub']}", {"version": "1.0.0"}).json()
    assert older["version"] == "1.0.0"
    for path in (
        "/api/v1/findings/arn:aws:securityhub:nothing",
        "/api/v1/controls/Nope.1",
        "/api/v1/executions/nothing",
        "/api/v1/hub/reactors/no-such-reactor",
        "/api/v1/findings/" + "x" * 513,  # longer than any DynamoDB key: no route
    ):
        assert_problem(viewer.get(path), 404)


def test_hub_catalog_search_and_pages(
    principals: dict[str, Principal], data: dict[str, str]
) -> None:
    viewer = principals["viewer"].client
    assert [r["reactor_id"] for r in viewer.get("/api/v1/hub/reactors").json()["results"]] == [
        seed.HUB
    ]
    found = viewer.get("/api/v1/hub/reactors", {"search": "public READ"}).json()["results"]
    assert [(r["reactor_id"], r["version"]) for r in found] == [(seed.HUB, "1.1.0")]
    assert viewer.get("/api/v1/hub/reactors", {"search": "rotation"}).json()["results"] == []
    # An unsigned or edited cursor is a 400 problem, never reaches DynamoDB as a key.
    body = assert_problem(viewer.get("/api/v1/hub/reactors", {"cursor": "eyJhIjogMX0="}), 400)
    assert body["errors"][0]["pointer"] == "#/cursor"
    body = assert_problem(viewer.get("/api/v1/hub/reactors", {"cursor": "e30.AAAA"}), 400)
    assert body["type"] == "urn:ouroboros:problem:invalid-cursor"


def test_a_stale_version_is_a_409_problem_and_nothing_is_saved(
    principals: dict[str, Principal], data: dict[str, str]
) -> None:
    writer, other = principals["write_token"], principals["operator"]
    version = seed.control_version()
    ok = _patch(writer, "S3.5", {"version": version, "reactor_id": seed.INSTALLED, "mode": "auto"})
    assert ok.status_code == 200, ok.content
    assert (ok.json()["mode"], ok.json()["reactor_id"]) == ("auto", seed.INSTALLED)
    assert ok.json()["version"] == version + 1
    stale = _patch(other, "S3.5", {"version": version, "mode": "off"})
    body = assert_problem(stale, 409)
    assert body["type"] == "urn:ouroboros:problem:control-conflict"
    assert body["current_version"] == version + 1 and "opal" in body["detail"]
    control = principals["viewer"].client.get("/api/v1/controls/S3.5").json()
    assert (control["mode"], control["version"]) == ("auto", version + 1)
    entries = AuditEntry.objects.filter(action="control.update")
    assert entries.count() == 1


def test_control_exemptions_are_added_kept_and_removed(
    principals: dict[str, Principal], data: dict[str, str]
) -> None:
    writer = principals["write_token"]
    expires = (timezone.now() + timedelta(days=30)).isoformat()
    new = {"account": "111122223333", "reason": "sandbox account", "expires_at": expires}
    added = _patch(writer, "S3.5", {"version": seed.control_version(), "exemptions": [new]})
    assert added.status_code == 200, added.content
    [stored] = added.json()["exemptions"]
    assert (stored["account"], stored["created_by"], stored["expired"]) == (
        "111122223333",
        "opal",
        False,
    )
    second = {"tag": "env=dev", "reason": "dev resources"}
    both = _patch(
        writer,
        "S3.5",
        {
            "version": added.json()["version"],
            "exemptions": [{"exemption_id": stored["exemption_id"]}, second],
        },
    ).json()
    assert [e["reason"] for e in both["exemptions"]] == ["sandbox account", "dev resources"]
    assert both["exemptions"][0]["exemption_id"] == stored["exemption_id"]
    # Bad input: a 400 problem, nothing written (the version does not move).
    for bad in (
        {"exemptions": [{"reason": "names nothing"}]},
        {"exemptions": [{"exemption_id": "unknown"}]},
        {"mode": "auto", "reactor_id": "not-installed"},
        {"mode": "sometimes"},
    ):
        assert_problem(_patch(writer, "S3.5", {"version": both["version"], **bad}), 400)
    assert (
        assert_problem(_patch(writer, "S3.5", {"mode": "off"}), 400)["errors"][0]["pointer"]
        == "#/version"
    )
    removed = _patch(writer, "S3.5", {"version": both["version"], "exemptions": []}).json()
    assert removed["exemptions"] == [] and removed["version"] == both["version"] + 1


def test_remediate_starts_the_workflow_dry_run_and_is_audited(
    principals: dict[str, Principal], data: dict[str, str]
) -> None:
    writer = principals["write_token"]
    seed.control_remediable()
    response = writer.client.post(
        f"/api/v1/findings/{data['finding']}/remediate", {"dry_run": True}, content_type=JSON
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["dry_run"] is True and body["finding_id"] == data["finding"]
    [started] = _executions_started()
    assert started["executionArn"] == body["execution_arn"]
    payload = json.loads(
        client("stepfunctions").describe_execution(executionArn=started["executionArn"])["input"]
    )
    assert payload["ouroboros"] == {
        "trigger": "manual",
        "actor": "opal",
        "dry_run": True,
        "request_id": payload["ouroboros"]["request_id"],
    }
    entry = AuditEntry.objects.get(action="finding.remediate")
    assert (entry.actor_name, entry.token_name, entry.via, entry.target_id) == (
        "opal",
        "write_token",
        "api",
        data["finding"],
    )
    assert entry.after == {"dry_run": True, "execution": body["execution_arn"]}
    # A finding Security Hub does not have: 404, nothing started, nothing audited.
    missing = writer.client.post(
        "/api/v1/findings/arn:aws:nothing/remediate", {}, content_type=JSON
    )
    assert_problem(missing, 404)
    assert len(_executions_started()) == 1
    assert AuditEntry.objects.filter(action="finding.remediate").count() == 1


def test_reactor_install_upgrade_uninstall_are_requests_and_audited(
    principals: dict[str, Principal], data: dict[str, str]
) -> None:
    writer = principals["write_token"].client
    installed = writer.post(
        "/api/v1/reactors", {"reactor_id": seed.HUB, "version": "1.0.0"}, content_type=JSON
    )
    assert installed.status_code == 202, installed.content
    assert (installed.json()["status"], installed.json()["version"]) == ("installing", "1.0.0")
    again = writer.post("/api/v1/reactors", {"reactor_id": seed.HUB}, content_type=JSON)
    assert assert_problem(again, 409)["type"] == "urn:ouroboros:problem:reactor-state"
    listed = writer.get("/api/v1/reactors").json()["results"]
    assert {r["reactor_id"] for r in listed} == {seed.HUB, seed.INSTALLED}
    LocalReactorModel(seed.HUB).update(actions=[LocalReactorModel.status.set("installed")])
    upgraded = writer.post(f"/api/v1/reactors/{seed.HUB}/upgrade", {}, content_type=JSON)
    assert upgraded.status_code == 202, upgraded.content
    assert (upgraded.json()["version"], upgraded.json()["previous_version"]) == ("1.1.0", "1.0.0")
    LocalReactorModel(seed.HUB).update(actions=[LocalReactorModel.status.set("installed")])
    removed = writer.delete(f"/api/v1/reactors/{seed.HUB}")
    assert removed.status_code == 202 and removed.json()["version"] == "1.1.0"
    assert_problem(writer.delete(f"/api/v1/reactors/{seed.HUB}"), 404)
    assert_problem(
        writer.post("/api/v1/reactors", {"reactor_id": "not-in-the-hub"}, content_type=JSON), 404
    )
    trail = {
        e.action: e for e in AuditEntry.objects.filter(target_type="reactor", target_id=seed.HUB)
    }
    assert set(trail) == {"reactor.install", "reactor.upgrade", "reactor.uninstall"}
    assert trail["reactor.install"].after == {
        "version": "1.0.0",
        "status": "installing",
        "approved_actions": [],
    }
    assert trail["reactor.upgrade"].before == {"version": "1.0.0"}
    assert trail["reactor.upgrade"].after == {
        "version": "1.1.0",
        "status": "installing",
        "approved_actions": [],
    }
    assert trail["reactor.uninstall"].before == {"version": "1.1.0", "status": "installed"}
    assert {(e.actor_name, e.token_name, e.via) for e in trail.values()} == {
        ("opal", "write_token", "api")
    }
    # Admins read the same trail through the API.
    audit = principals["admin"].client.get("/api/v1/audit", {"target_id": seed.HUB}).json()
    assert [e["action"] for e in audit["results"]] == [
        "reactor.uninstall",
        "reactor.upgrade",
        "reactor.install",
    ]


def test_a_read_token_cannot_change_anything(
    principals: dict[str, Principal], data: dict[str, str]
) -> None:
    reader = principals["read_token"].client
    seed.reactor_installed(seed.INSTALLED)
    version, audited = seed.control_version(), AuditEntry.objects.count()
    attempts = [
        reader.patch(
            "/api/v1/controls/S3.5", {"version": version, "mode": "off"}, content_type=JSON
        ),
        reader.post(f"/api/v1/findings/{data['finding']}/remediate", {}, content_type=JSON),
        reader.post("/api/v1/reactors", {"reactor_id": seed.HUB}, content_type=JSON),
        reader.post(f"/api/v1/reactors/{seed.INSTALLED}/upgrade", {}, content_type=JSON),
        reader.delete(f"/api/v1/reactors/{seed.INSTALLED}"),
    ]
    for response in attempts:
        assert "read scope" in assert_problem(response, 403)["detail"]
    assert seed.control_version() == version
    assert {r.reactor_id for r in LocalReactorModel.scan()} == {seed.INSTALLED}
    assert _executions_started() == [] and AuditEntry.objects.count() == audited


def test_revoked_and_expired_tokens_get_401_on_every_resource(
    principals: dict[str, Principal], data: dict[str, str], users: dict[str, Any]
) -> None:
    from console.tokens.services import api_token_create

    revoked = principals["write_token"]
    api_token_revoke(token_id=revoked.token.pk)  # type: ignore[union-attr]
    expired = api_token_create(user=users["opal"], name="old", scope="write", expires_days=1)
    ApiToken.objects.filter(pk=expired.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    for who in (revoked.client, bearer(expired.secret)):
        for response in (
            who.get("/api/v1/findings"),
            who.get("/api/v1/controls/S3.5"),
            who.get("/api/v1/hub/reactors"),
            who.patch("/api/v1/controls/S3.5", {"version": 1, "mode": "off"}, content_type=JSON),
            who.post("/api/v1/reactors", {"reactor_id": seed.HUB}, content_type=JSON),
        ):
            assert_problem(response, 401)
            assert response["WWW-Authenticate"].startswith("Bearer")
    assert seed.control_version() == 0
    assert not AuditEntry.objects.exclude(action__startswith="api_token.").exists()


def test_problem_shapes_of_the_resource_endpoints(
    principals: dict[str, Principal], data: dict[str, str], settings: Any
) -> None:
    viewer, writer = principals["viewer"].client, principals["write_token"].client
    assert (
        assert_problem(viewer.get("/api/v1/findings", {"limit": "0"}), 400)["errors"][0]["pointer"]
        == "#/limit"
    )
    assert_problem(viewer.get("/api/v1/executions", {"status": "done"}), 400)
    assert_problem(writer.post("/api/v1/reactors", {"reactor_id": 5}, content_type=JSON), 400)
    assert_problem(principals["anonymous"].client.get("/api/v1/controls"), 401)
    body = assert_problem(
        viewer.patch("/api/v1/controls/S3.5", {"version": 1}, content_type=JSON), 403
    )
    assert "operator" in body["detail"]
    assert_problem(viewer.get("/api/v1/executions/2024-01-01T00:00:00%23none"), 404)
    stale = writer.patch("/api/v1/controls/S3.5", {"version": 7, "mode": "off"}, content_type=JSON)
    assert assert_problem(stale, 409)["current_version"] == 0
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "2/minute", "user": "2/minute", "anon": None},
    }
    reader = principals["read_token"].client
    assert [reader.get("/api/v1/hub/reactors").status_code for _ in range(2)] == [200, 200]
    limited = reader.get("/api/v1/findings")  # the budget is the token's, across endpoints
    assert assert_problem(limited, 429)["type"] == "urn:ouroboros:problem:throttled"
    assert int(limited["Retry-After"]) >= 1
