"""The reactors' audit folded into the one trail: old rows copied, the admin's reactor changes."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from console.audit.models import AuditEntry
from console.audit.services import audit_record

pytestmark = [pytest.mark.django_db]

fold = importlib.import_module("console.reactors.migrations.0002_fold_audit_into_audit_entry")


class _OldEvents:
    """What the migration reads: the dropped table's rows, as the historical model gives them."""

    def __init__(self, rows: list[Any]) -> None:
        self.objects = SimpleNamespace(order_by=lambda *_: SimpleNamespace(iterator=lambda: rows))


def test_the_migration_copies_every_old_event_into_the_trail() -> None:
    at = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
    rows = [
        SimpleNamespace(
            at=at,
            actor="otto",
            action="reactor.install",
            target="s3-public-read",
            count=1,
            detail={"version": "1.0.0"},
        ),
        SimpleNamespace(
            at=at,
            actor="release-bot",
            action="hub.publish",
            target="s3-public-read 1.0.0",
            count=1,
            detail={"sha256": "ab"},
        ),
        SimpleNamespace(
            at=at,
            actor="otto",
            action="controls.assign_reactor",
            target="kms-key-rotation",
            count=50,
            detail={"mode": "auto"},
        ),
    ]
    models = {("reactors", "AuditEvent"): _OldEvents(rows), ("audit", "AuditEntry"): AuditEntry}
    fold.copy_events(SimpleNamespace(get_model=lambda app, name: models[(app, name)]), None)
    copied = [
        (e.actor_name, e.via, e.action, e.target_type, e.target_id, e.after, e.at)
        for e in AuditEntry.objects.order_by("id")
    ]
    assert copied == [
        (
            "otto",
            "console",
            "reactor.install",
            "reactor",
            "s3-public-read",
            {"version": "1.0.0", "count": 1},
            at,
        ),
        (
            "release-bot",
            "cli",
            "hub.publish",
            "hub_reactor",
            "s3-public-read 1.0.0",
            {"sha256": "ab", "count": 1},
            at,
        ),
        (
            "otto",
            "console",
            "controls.assign_reactor",
            "reactor",
            "kms-key-rotation",
            {"mode": "auto", "count": 50},
            at,
        ),
    ]


def test_the_admin_shows_reactor_changes_from_the_one_trail() -> None:
    audit_record(action="reactor.install", target_type="reactor", target_id="s3-public-read")
    audit_record(action="control.update", target_type="control", target_id="S3.1")
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", password="x" * 12))
    reactors = admin.get("/admin/reactors/auditevent/").content.decode()
    assert "reactor.install" in reactors and "control.update" not in reactors
    trail = admin.get("/admin/audit/auditentry/").content.decode()
    assert "reactor.install" in trail and "control.update" in trail
