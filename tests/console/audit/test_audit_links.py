"""The audit trail links each entry to its target's page: every audited target type is decided
(a page that resolves, or listed page-less), and the page shows the links."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import resolve

from console.audit.links import (
    PAGELESS_TARGET_TYPES,
    TARGET_PAGES,
    AuditTarget,
    audit_target_links,
    audit_target_url,
)
from console.audit.models import AuditEntry
from console.audit.services import audit_record
from console.findings.bulk import AUDIT_ACTION as FINDING_BULK_ACTION

pytestmark = pytest.mark.django_db

_ROOT = Path(__file__).resolve().parents[3]
_SOURCES = ("console", "emulator", "lambdas", "ouroboros", "deploy")
#: Who writes audit entries: `audit_record`, and `audit_recorder`'s result (``audit``, ``record``).
_WRITERS = {"audit_record", "audit", "record"}

#: One plausible target id per linked type, and the view its page is served by.
_SAMPLES = {
    "control": ("S3.1", "control_detail_view"),
    "finding": (
        "arn:aws:securityhub:eu-west-1:111122223333:subscription/aws-foundational/v/1.0.0/S3.1/"
        "finding/0e1f",
        "finding_detail_view",
    ),
    "reactor": ("s3-block-public-access", "hub_reactor_detail"),
    "hub_reactor": ("s3-block-public-access 1.2.0", "hub_reactor_detail"),
    "execution": ("exec-0123", "execution_detail_view"),
    "export": (str(uuid.uuid4()), "export_detail_view"),
    "api_token": ("7", "change_view"),
    "user": ("ada", "change_view"),
    "group": ("operator", "change_view"),
}


def _audited_target_types() -> dict[str, str]:
    """Every ``target_type=`` a writer passes in the code base -> where (the first place)."""
    found: dict[str, str] = {}
    for package in _SOURCES:
        for path in sorted((_ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                for keyword in node.keywords:
                    if name not in _WRITERS or keyword.arg != "target_type":
                        continue
                    where = f"{path.relative_to(_ROOT)}:{node.lineno}"
                    value = keyword.value
                    assert isinstance(value, ast.Constant) and isinstance(value.value, str), (
                        f"{where}: target_type must be a literal, so its page can be decided"
                    )
                    found.setdefault(value.value, where)
    return found


def test_every_audited_target_type_has_a_page_or_is_listed_pageless() -> None:
    audited = _audited_target_types()
    # The walk finds the writers at all (a renamed writer would make this test vacuous).
    assert {"control", "finding", "user", "group", "api_token", "export"} <= set(audited)
    undecided = {t: where for t, where in audited.items() if t not in TARGET_PAGES}
    undecided = {t: w for t, w in undecided.items() if t not in PAGELESS_TARGET_TYPES}
    assert not undecided, f"add to TARGET_PAGES or PAGELESS_TARGET_TYPES: {undecided}"
    assert not set(TARGET_PAGES) & set(PAGELESS_TARGET_TYPES)
    assert set(_SAMPLES) == set(TARGET_PAGES)


def test_each_linked_type_resolves_to_its_page(django_user_model: Any) -> None:
    django_user_model.objects.create_user(username="ada", password="pw-ada-123456")
    Group.objects.get_or_create(name="operator")
    for target_type, (target_id, _) in _SAMPLES.items():
        audit_record(action=f"{target_type}.change", target_type=target_type, target_id=target_id)
    links = audit_target_links(AuditEntry.objects.order_by("id"))
    assert len(links) == len(_SAMPLES)
    for entry, url in links:
        target_id, view = _SAMPLES[entry.target_type]
        assert url, entry.target_type
        match = resolve(urlsplit(url).path)
        assert match.func.__name__ == view, (entry.target_type, url)
    by_type = {entry.target_type: url for entry, url in links}
    finding_query = parse_qs(urlsplit(by_type["finding"] or "").query)
    assert finding_query == {"id": [_SAMPLES["finding"][0]]}
    assert parse_qs(urlsplit(by_type["hub_reactor"] or "").query) == {"version": ["1.2.0"]}
    ada = django_user_model.objects.get(username="ada")
    assert resolve(urlsplit(by_type["user"] or "").path).kwargs["object_id"] == str(ada.pk)


def test_a_target_without_a_page_stays_text(django_user_model: Any) -> None:
    gone = audit_record(action="user.delete", target_type="user", target_id="gone")
    unknown = audit_record(action="x", target_type="t", target_id="1")
    not_a_uuid = audit_record(action="findings.export", target_type="export", target_id="nope")
    assert [url for _, url in audit_target_links([gone, unknown, not_a_uuid])] == [None] * 3


def test_a_bulk_action_links_to_its_summary() -> None:
    entry = audit_record(action=FINDING_BULK_ACTION, target_type="finding", target_id="3 findings")
    target = AuditTarget(
        entry_id=entry.pk, action=entry.action, target_type="finding", target_id=entry.target_id
    )
    url = audit_target_url(target) or ""
    match = resolve(url)
    assert match.url_name == "finding_bulk_summary" and match.kwargs == {"entry_id": entry.pk}


def test_the_audit_page_links_its_targets(django_user_model: Any) -> None:
    admin = django_user_model.objects.create_user(username="ada", password="pw-ada-123456")
    admin.groups.add(Group.objects.get_or_create(name="admin")[0])
    audit_record(action="control.update", target_type="control", target_id="S3.1")
    audit_record(action="user.delete", target_type="user", target_id="gone")
    client = Client()
    client.force_login(admin)
    html = client.get("/audit/").content.decode()
    assert '<a href="/controls/S3.1/">control S3.1</a>' in html
    assert "<td>user gone</td>" in html
