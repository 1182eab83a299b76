"""Admin bulk assignment: filter controls, assign one installed reactor and a mode to many."""

from __future__ import annotations

import pytest
from django.test import Client

from console.audit.models import AuditEntry
from ouroboros.controls.services import control_catalog_upsert
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.securityhub.catalog import (
    FSBP_STANDARD_ARN,
    FSBP_STANDARD_ID,
    FSBP_STANDARD_NAME,
    catalog_controls,
)

pytestmark = [pytest.mark.functional, pytest.mark.django_db]
URL = "/admin/reactors/auditevent/assign/"
SERVICES = ("S3", "EC2", "KMS", "SQS", "IAM")


@pytest.fixture
def controls(moto_aws: None, installed_reactor: LocalReactorModel) -> list[str]:
    chosen = [c for c in catalog_controls() if c.service in SERVICES]
    control_catalog_upsert(
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


def test_non_staff_users_are_sent_to_the_admin_login(db: object) -> None:
    assert Client().get(URL).status_code == 302
