"""Admin bulk assignment: filter controls, assign one installed reactor and a mode to many."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from console.audit.models import AuditEntry
from ouroboros.controls.params import control_params
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.securityhub.catalog import (
    FSBP_STANDARD_ARN,
    FSBP_STANDARD_ID,
    FSBP_STANDARD_NAME,
    catalog_controls,
)
from tests.control_catalog import catalog_loaded

pytestmark = [pytest.mark.functional, pytest.mark.django_db]
URL = "/admin/reactors/auditevent/assign/"
SERVICES = ("S3", "EC2", "KMS", "SQS", "IAM")


@pytest.fixture
def controls(moto_aws: None, installed_reactor: LocalReactorModel) -> list[str]:
    chosen = [c for c in catalog_controls() if c.service in SERVICES]
    catalog_loaded(
        controls=chosen,
        standard_id=FSBP_STANDARD_ID,
        standard_arn=FSBP_STANDARD_ARN,
        standard_name=FSBP_STANDARD_NAME,
    )
    return [c.control_id for c in chosen]


def test_fifty_controls_in_one_admin_action(operator: Client, controls: list[str]) -> None:
    page = operator.get(URL).content.decode()
    assert "kms-key-rotation 1.0.0" in page and "S3.2" in page
    fifty = controls[:50]
    response = operator.post(
        URL, {"control_ids": fifty, "reactor_id": "kms-key-rotation", "mode": "auto"}
    )
    assert response.status_code == 302
    assigned = {c.control_id: c for c in ControlModel.reactor_index.query("kms-key-rotation")}
    assert sorted(assigned) == sorted(fifty)
    assert {(c.mode, c.updated_by) for c in assigned.values()} == {("auto", "otto")}
    event = AuditEntry.objects.get()
    assert (event.action, event.target_type, event.target_id, event.actor_name) == (
        "controls.assign_reactor",
        "reactor",
        "kms-key-rotation",
        "otto",
    )
    assert event.after == {"mode": "auto", "control_ids": fifty}


def test_filters_and_select_all(operator: Client, controls: list[str]) -> None:
    page = operator.get(URL, {"service": "KMS"}).content.decode()
    assert "KMS.4" in page and "S3.2" not in page
    operator.post(
        f"{URL}?service=KMS&severity=MEDIUM",
        {"select_all": "on", "reactor_id": "kms-key-rotation", "mode": "dry_run"},
    )
    assigned = list(ControlModel.reactor_index.query("kms-key-rotation"))
    assert assigned and all(c.service == "KMS" and c.severity == "MEDIUM" for c in assigned)
    page = operator.get(URL, {"standard": FSBP_STANDARD_ID, "service": "KMS"}).content.decode()
    assert "dry_run" in page


def test_viewers_cannot_assign(viewer: Client, controls: list[str]) -> None:
    assert viewer.get(URL).status_code == 200
    response = viewer.post(
        URL, {"control_ids": controls[:2], "reactor_id": "kms-key-rotation", "mode": "auto"}
    )
    assert response.status_code == 403
    assert list(ControlModel.reactor_index.query("kms-key-rotation")) == []
    assert not AuditEntry.objects.exists()


def test_unknown_reactor_or_controls_outside_the_filter_are_refused(
    operator: Client, controls: list[str]
) -> None:
    response = operator.post(URL, {"control_ids": ["S3.2"], "reactor_id": "ghost", "mode": "auto"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = operator.post(
        f"{URL}?service=KMS",
        {"control_ids": ["S3.2"], "reactor_id": "kms-key-rotation", "mode": "auto"},
    )
    assert "Select a valid choice" in response.content.decode()
    assert list(ControlModel.reactor_index.query("kms-key-rotation")) == []


def test_controls_the_reactor_does_not_declare_are_refused_by_name(
    operator: Client, controls: list[str]
) -> None:
    """Issue 19: the S3.2 reactor went onto S3.3 and S3.19 without a word."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"keep_sids": {"type": "array", "items": {"type": "string"}, "default": []}},
    }
    LocalReactorModel(
        "s3-public-read",
        version="1.0.0",
        sha256="0" * 64,
        status="installed",
        installed_at=datetime.now(UTC),
        manifest={"id": "s3-public-read", "control_ids": ["S3.2"], "params_schema": schema},
    ).save()
    chosen = {"control_ids": ["S3.2", "S3.3", "S3.19"], "reactor_id": "s3-public-read"}
    response = operator.post(URL, {**chosen, "mode": "auto"})
    assert response.status_code == 200
    assert "cannot be assigned to S3.3, S3.19" in response.content.decode()
    assert list(ControlModel.reactor_index.query("s3-public-read")) == []
    assert not AuditEntry.objects.exists()

    only = {"control_ids": ["S3.2"], "reactor_id": "s3-public-read", "mode": "auto"}
    response = operator.post(URL, {**only, "params": '{"keep_sids": "Admin"}'})
    assert "/keep_sids: expected array" in response.content.decode()
    response = operator.post(URL, {**only, "params": '["not", "an object"]'})
    assert "Parameters must be a JSON object." in response.content.decode()
    assert list(ControlModel.reactor_index.query("s3-public-read")) == []
    response = operator.post(URL, {**only, "params": '{"keep_sids": ["Admin"]}'})
    assert response.status_code == 302
    [assigned] = ControlModel.reactor_index.query("s3-public-read")
    assert control_params(assigned) == {"keep_sids": ["Admin"]}
    assert AuditEntry.objects.get().after["params"] == {"keep_sids": ["Admin"]}


def test_non_staff_users_are_sent_to_the_admin_login(db: object) -> None:
    assert Client().get(URL).status_code == 302
