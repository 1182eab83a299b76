"""The API's approval of dangerous actions: shown before install, required, admins only."""

from __future__ import annotations

import pytest
from django.test import Client

from console.audit.models import AuditEntry
from ouroboros.models import LocalReactorModel

pytestmark = [pytest.mark.functional, pytest.mark.django_db]

JSON = "application/json"
APPROVAL = ["s3:DeleteBucketPolicy", "s3:PutBucketPolicy"]


def test_the_hub_api_shows_what_needs_approval(viewer: Client, verified_reactor: str) -> None:
    body = viewer.get("/api/v1/hub/reactors/s3-public-read").json()
    assert body["approval_required"] == APPROVAL


def test_an_install_needs_the_exact_approval_of_an_admin(
    operator: Client, admin: Client, verified_reactor: str
) -> None:
    wanted = {"reactor_id": "s3-public-read", "version": "1.0.0"}
    refused = operator.post("/api/v1/reactors", wanted, content_type=JSON)
    assert refused.status_code == 400
    assert "s3:DeleteBucketPolicy, s3:PutBucketPolicy" in refused.content.decode()
    by_operator = {**wanted, "approved_actions": APPROVAL}
    assert operator.post("/api/v1/reactors", by_operator, content_type=JSON).status_code == 403
    partial = {**wanted, "approved_actions": ["s3:PutBucketPolicy"]}
    assert admin.post("/api/v1/reactors", partial, content_type=JSON).status_code == 400
    assert not list(LocalReactorModel.scan()) and not AuditEntry.objects.exists()
    accepted = admin.post("/api/v1/reactors", by_operator, content_type=JSON)
    assert accepted.status_code == 202, accepted.content
    assert (accepted.json()["approved_actions"], accepted.json()["approved_by"]) == (
        APPROVAL,
        "ada",
    )
    event = AuditEntry.objects.get()
    assert event.after["approved_actions"] == APPROVAL and event.actor_name == "ada"
