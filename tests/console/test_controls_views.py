"""Control pages: assign a reactor, manage exemptions, and two concurrent edits lose nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from console.audit.models import AuditEntry
from ouroboros.models import ControlModel
from tests.console.conftest import REACTOR, Seeded, seed_security_data

pytestmark = pytest.mark.integration


@pytest.fixture
def fresh(ddb_tables: str) -> Seeded:
    return seed_security_data()


def test_second_of_two_concurrent_edits_gets_a_conflict_and_keeps_its_values(
    fresh: Seeded, as_role: Callable[[str], Client]
) -> None:
    alice, bob = as_role("operator"), as_role("admin")
    page = reverse("control_detail", args=["S3.5"])
    assert 'name="version" value="0"' in alice.get(page).content.decode()
    assert 'name="version" value="0"' in bob.get(page).content.decode()
    configure = reverse("control_configure", args=["S3.5"])

    first = alice.post(configure, {"reactor_id": REACTOR, "mode": "auto", "version": "0"})
    second = bob.post(configure, {"reactor_id": "", "mode": "off", "version": "0"})

    assert first.status_code == 302
    assert second.status_code == 409
    html = second.content.decode()
    assert 'id="conflict"' in html
    assert "was changed by operator-user" in html
    assert "Stored now: reactor <b>" + REACTOR in html
    form = second.context["configure_form"]
    assert (form["mode"].value(), form["reactor_id"].value(), form["version"].value()) == (
        "off",
        "",
        "1",
    )
    item = ControlModel.get("S3.5", "CONTROL")
    assert (item.reactor_id, item.mode, item.version) == (REACTOR, "auto", 1)

    again = bob.post(configure, {"reactor_id": "", "mode": "off", "version": "1"})

    assert again.status_code == 302
    item = ControlModel.get("S3.5", "CONTROL")
    assert (item.reactor_id, item.mode, item.version, item.updated_by) == (
        None,
        "off",
        2,
        "admin-user",
    )
    # Each save is in the one audit trail; the refused one is not.
    trail = AuditEntry.objects.filter(action="control.configure", target_id="S3.5").order_by("id")
    assert [(e.actor_name, e.via, e.after["mode"], e.after["version"]) for e in trail] == [
        ("operator-user", "console", "auto", 1),
        ("admin-user", "console", "off", 2),
    ]


def test_exemption_form_errors_and_conflicts_keep_what_was_typed(
    fresh: Seeded, as_role: Callable[[str], Client]
) -> None:
    operator = as_role("operator")
    add = reverse("control_exemption_add", args=["S3.2"])
    typed = {
        "account": "111111111111",
        "resource_pattern": "arn:aws:s3:::site-*",
        "tag": "env=prod",
        "expires_at": "2020-01-01T00:00",
        "reason": "public website",
        "version": "0",
    }

    past = operator.post(add, typed)
    assert past.status_code == 400
    assert "expiry must be in the future" in past.content.decode()
    assert 'value="arn:aws:s3:::site-*"' in past.content.decode()

    ok = operator.post(add, {**typed, "expires_at": "2099-01-01T00:00"})
    assert ok.status_code == 302
    stale = operator.post(add, {**typed, "expires_at": "2099-01-01T00:00", "reason": "other"})
    assert stale.status_code == 409
    kept = stale.context["exemption_form"]
    assert (kept["reason"].value(), kept["version"].value()) == ("other", "1")
    [exemption] = ControlModel.get("S3.2", "CONTROL").exemptions
    assert exemption.reason == "public website"
    detail = operator.get(reverse("control_detail", args=["S3.2"])).content.decode()
    assert "public website" in detail and "env=prod" in detail and "2099-01-01 00:00" in detail


def test_assigning_a_reactor_that_is_not_installed_is_refused(
    fresh: Seeded, as_role: Callable[[str], Client]
) -> None:
    operator = as_role("operator")
    configure = reverse("control_configure", args=["S3.2"])

    response = operator.post(configure, {"reactor_id": "unknown", "mode": "auto", "version": "0"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert ControlModel.get("S3.2", "CONTROL").reactor_id is None


def test_controls_list_filters_by_assigned_reactor(
    fresh: Seeded, as_role: Callable[[str], Client]
) -> None:
    operator = as_role("operator")
    operator.post(
        reverse("control_configure", args=["S3.2"]),
        {"reactor_id": REACTOR, "mode": "dry_run", "version": "0"},
    )

    listed = operator.get(reverse("control_list"), {"reactor": REACTOR})

    assert [c.control_id for c in listed.context["listed"].items] == ["S3.2"]
    assert listed.context["listed"].index == "reactor-index"
    assert "dry_run" in listed.content.decode()
