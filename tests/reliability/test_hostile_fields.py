"""Hostile strings in every field the console's forms and the API take: a clear error or stored
exactly as typed, never a server error, never half stored, never rendered as markup.

Fields: the exemption form (account, resource pattern, tag, expiry, reason, version), the
control configuration form (reactor, mode, version), the API's token name (JSON body) and audit
filters (query string).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from console.tokens.models import ApiToken
from ouroboros.models import ControlModel
from ouroboros.securityhub.catalog import FSBP_STANDARD_ID, FSBP_STANDARD_NAME, catalog_controls
from tests.control_catalog import catalog_loaded

pytestmark = [pytest.mark.functional, pytest.mark.django_db]

MEGABYTE = "A" * (1024 * 1024)
HOSTILE = {
    "script": "<script>window.__xss=1</script>",
    "img": '"><img src=x onerror="window.__xss=1">',
    "sql": "x' OR '1'='1'; DROP TABLE auth_user; --",
    "rtl": "\u202egnp.exe\u202c \u05e9\u05dc\u05d5\u05dd",
    "nul": "before\x00after",
    "emoji_zwj": "\U0001f469\u200d\U0001f4bb \ufeff",
    "lone_surrogate_escape": "\\ud800",
    "template": "{{ settings.SECRET_KEY }} {% debug %} ${7*7}",
    "megabyte": MEGABYTE,
}
MARKUP = ("<script>window.__xss", "<img src=x onerror")


def operator(username: str = "otto", role: str = "operator") -> Client:
    user = User.objects.create_user(username=username, password="pw-otto-12345")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def control(moto_aws: None) -> ControlModel:
    catalog_loaded(
        controls=catalog_controls(), standard_id=FSBP_STANDARD_ID, standard_name=FSBP_STANDARD_NAME
    )
    return ControlModel.get("S3.5", "CONTROL")


def exemption_ids(control: ControlModel) -> list[str]:
    return [e.exemption_id for e in control.exemptions or []]


def assert_escaped(html: str) -> None:
    for markup in MARKUP:
        assert markup not in html, f"{markup!r} rendered as markup"


EXEMPTION_FIELDS = ("account", "resource_pattern", "tag", "expires_at", "reason", "version")
CASES = [(field, name) for field in EXEMPTION_FIELDS for name in sorted(HOSTILE)]


def test_exemption_form_fields(control: ControlModel) -> None:
    client = operator()
    stored_cases = []
    for field, name in CASES:
        current = ControlModel.get("S3.5", "CONTROL")
        form = {
            "account": "111111111111",
            "resource_pattern": "arn:aws:s3:::bucket-*",
            "tag": "env=dev",
            "expires_at": "",
            "reason": "accepted risk",
            "version": str(current.version or 0),
            field: HOSTILE[name],
        }
        response = client.post("/controls/S3.5/exemptions/", form)
        assert response.status_code < 500, (field, name)
        after = ControlModel.get("S3.5", "CONTROL")
        html = response.content.decode()
        assert_escaped(html)
        if after.version == current.version:  # refused: a form error says why, nothing stored
            assert 'class="errors"' in html or response.status_code in (400, 409, 413), (
                field,
                name,
            )
            assert exemption_ids(after) == exemption_ids(current), (field, name)
            continue
        added = (after.exemptions or [])[-1]
        assert getattr(added, field) == HOSTILE[name], (field, name)  # stored exactly as typed
        assert len(after.exemptions or []) == len(current.exemptions or []) + 1
        stored_cases.append((field, name))
    assert ("reason", "script") in stored_cases and ("reason", "nul") not in stored_cases
    assert ("reason", "megabyte") not in stored_cases  # over the reason's 1,000 characters
    assert_escaped(client.get("/controls/S3.5/").content.decode())


def test_control_configure_form_fields(control: ControlModel) -> None:
    client = operator()
    for field in ("reactor_id", "mode", "version"):
        for name in sorted(HOSTILE):
            form = {"reactor_id": "", "mode": "off", "version": str(control.version or 0)}
            form[field] = HOSTILE[name]
            response = client.post("/controls/S3.5/configure/", form)
            assert response.status_code < 500, (field, name)
            assert_escaped(response.content.decode())
            after = ControlModel.get("S3.5", "CONTROL")
            assert after.version == control.version, (field, name)  # refused, nothing stored


def test_api_token_name(control: ControlModel) -> None:
    client = operator()
    for name in sorted(HOSTILE):
        body = json.dumps({"name": HOSTILE[name], "scope": "read"})
        if name == "lone_surrogate_escape":
            body = '{"name": "\\ud800", "scope": "read"}'  # an invalid JSON escape, as sent
        before = ApiToken.objects.count()
        response = client.post("/api/v1/tokens", body, content_type="application/json")
        assert response.status_code < 500, name
        problem: dict[str, Any] = response.json()
        if response.status_code == 201:
            assert ApiToken.objects.latest("id").name == HOSTILE[name], name  # kept as is
            continue
        assert response.status_code in (400, 413), name
        assert response["Content-Type"].startswith("application/problem+json")
        assert problem.get("title") and problem.get("status") == response.status_code
        assert ApiToken.objects.count() == before, name
    kept = set(ApiToken.objects.values_list("name", flat=True))
    assert HOSTILE["script"] in kept and HOSTILE["sql"] in kept
    assert not any("\x00" in k or len(k) > 100 for k in kept)


def test_api_audit_filters(control: ControlModel) -> None:
    client = operator("ada", "admin")
    for param in ("actor", "action", "target_type", "target_id", "cursor"):
        for name in sorted(HOSTILE):
            response = client.get("/api/v1/audit", {param: HOSTILE[name]})
            assert response.status_code in (200, 400), (param, name)
            expected = "application/json" if response.status_code == 200 else "application/problem"
            assert response["Content-Type"].startswith(expected), (param, name)
