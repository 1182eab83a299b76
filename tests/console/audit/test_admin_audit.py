"""Users and groups changed in Django admin are in the audit trail, with the admin who did it;
the demo's reactor install and assignment are audited as actor ``demo``."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client

from console.audit.models import AuditEntry
from console.audit.services import audit_recorder

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    boss = User.objects.create_superuser("boss", "boss@example.com", "pw-" + "b" * 12)
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.force_login(boss)
    return client


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_adding_changing_and_deleting_a_user_in_admin_is_audited_with_the_actor(
    admin_client: Client,
) -> None:
    viewers = Group.objects.get_or_create(name="viewer")[0]
    operators = Group.objects.get_or_create(name="operator")[0]
    password = "Correct-Horse-42-battery"
    added = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "vera",
            "password1": password,
            "password2": password,
            "usable_password": "true",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    vera = User.objects.get(username="vera")
    [entry] = _entries("user.add")
    assert (entry.actor_name, entry.via, entry.target_id, entry.ip) == (
        "boss",
        "console",
        "vera",
        "10.1.2.3",
    )
    assert entry.after["is_superuser"] is False and "password" not in str(entry.after)

    form = {
        "username": "vera",
        "email": "vera@example.com",
        "is_active": "on",
        "groups": [str(viewers.pk), str(operators.pk)],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-12-01",
        "date_joined_1": "10:00:00",
    }
    changed = admin_client.post(f"/admin/auth/user/{vera.pk}/change/", form)
    assert changed.status_code == 302, changed.content.decode()[:2000]
    [change] = _entries("user.change")
    assert change.before["email"] == "" and change.after["email"] == "vera@example.com"
    [groups] = _entries("user.groups")
    assert groups.before == {"groups": []}
    assert groups.after == {"groups": ["operator", "viewer"]}
    assert groups.actor_name == "boss" and groups.target_id == "vera"

    form["groups"] = [str(viewers.pk)]  # only the membership changes
    assert admin_client.post(f"/admin/auth/user/{vera.pk}/change/", form).status_code == 302
    assert len(_entries("user.change")) == 1  # the user's own fields did not change
    assert _entries("user.groups")[-1].after == {"groups": ["viewer"]}

    deleted = admin_client.post(f"/admin/auth/user/{vera.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    [gone] = _entries("user.delete")
    assert gone.actor_name == "boss" and gone.before["username"] == "vera"


def test_group_changes_in_admin_are_audited_and_logins_are_not(admin_client: Client) -> None:
    view = Permission.objects.get(codename="view_user")
    assert admin_client.post("/admin/auth/group/add/", {"name": "auditors"}).status_code == 302
    group = Group.objects.get(name="auditors")
    [added] = _entries("group.add")
    assert added.actor_name == "boss" and added.after == {"name": "auditors", "permissions": []}

    changed = admin_client.post(
        f"/admin/auth/group/{group.pk}/change/", {"name": "auditors", "permissions": [view.pk]}
    )
    assert changed.status_code == 302
    [permissions] = _entries("group.permissions")
    assert permissions.after == {"permissions": ["view_user"]}

    assert (
        admin_client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    assert _entries("group.delete")[0].target_id == "auditors"

    # Outside admin (a test's own set-up, a login) nothing is recorded here.
    user = User.objects.create_user("plain", password="pw-" + "p" * 12)
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    login = Client().post("/login/", {"username": "plain", "password": "pw-" + "p" * 12})
    assert login.status_code == 302
    assert User.objects.get(username="plain").last_login is not None  # saved, not audited
    assert not AuditEntry.objects.filter(target_id="plain").exists()


def test_the_demo_audits_its_install_and_assignment_as_demo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from emulator import demo_remediation as demo

    installed: list[str] = []
    control = SimpleNamespace(version=0)
    monkeypatch.setattr(demo, "endpoints_read", lambda: SimpleNamespace(securityhub="http://x"))
    monkeypatch.setattr(demo, "_control", lambda: control)
    monkeypatch.setattr(demo, "_wait", lambda *args: None)
    monkeypatch.setattr(demo, "_installed_status", lambda: "installed" if installed else None)
    monkeypatch.setattr(demo, "reactor_approval_required", lambda **kw: ["s3:PutBucketPolicy"])

    def install(**kwargs: Any) -> Any:
        installed.append(kwargs["reactor_id"])
        return SimpleNamespace(version="1.0.0")

    def assign(**kwargs: Any) -> Any:
        return SimpleNamespace(reactor_id=kwargs["reactor_id"], mode=kwargs["mode"], version=1)

    monkeypatch.setattr(demo, "reactor_install", install)
    monkeypatch.setattr(demo, "control_assign_reactor", assign)
    monkeypatch.setattr(demo, "demo_findings_recheck", lambda **kw: [])

    report = demo.demo_remediation_ensure(
        accounts=("111111111111",), audit=audit_recorder(actor_name=demo.DEMO_ACTOR)
    )

    assert (report.installed, report.assigned) == (True, True)
    [install_entry] = _entries("reactor.install")
    assert (install_entry.actor_name, install_entry.via) == ("demo", "cli")
    assert install_entry.target_id == demo.DEMO_REACTOR
    assert install_entry.after == {"version": "1.0.0", "approved_actions": ["s3:PutBucketPolicy"]}
    [assign_entry] = _entries("control.configure")
    assert (assign_entry.actor_name, assign_entry.target_id) == ("demo", demo.DEMO_CONTROL)
    assert assign_entry.after == {"reactor_id": demo.DEMO_REACTOR, "mode": "auto", "version": 1}
