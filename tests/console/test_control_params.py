"""Issue 19 items 1-2 in the console: the configure form has one field per parameter of the
assigned reactor (type, default, description), saves them audited, refuses an invalid one on its
field; the API's PATCH names a refused parameter; the execution page shows the parameters
used. (The bulk assignment's checks: `tests/console/reactors/test_bulk_assign.py`.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from console.audit.models import AuditEntry
from ouroboros.controls.params import control_params
from ouroboros.controls.services import control_assign_reactor
from ouroboros.models import ControlModel, ExecutionModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.securityhub.catalog import FSBP_STANDARD_ID, catalog_controls
from tests.control_catalog import catalog_loaded

pytestmark = [pytest.mark.functional, pytest.mark.django_db]

REACTOR = "sqs-queue-encryption"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "kms_key_id": {
            "type": "string",
            "default": "",
            "pattern": "^(|alias/[A-Za-z0-9/_-]+|arn:aws:kms:.+)$",
            "description": "KMS key for SSE-KMS; empty: SSE-SQS",
        },
        "retention_days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 90},
        "notify": {"type": "boolean", "default": False},
    },
}


@pytest.fixture
def sqs(moto_aws: None) -> None:
    wanted = {"SQS.1", "S3.2", "S3.3"}
    catalog_loaded(
        controls=[c for c in catalog_controls() if c.control_id in wanted],
        standard_id=FSBP_STANDARD_ID,
    )
    LocalReactorModel(
        REACTOR,
        version="1.0.0",
        sha256="0" * 64,
        status="installed",
        installed_at=datetime.now(UTC),
        manifest={"id": REACTOR, "control_ids": ["SQS.1"], "params_schema": SCHEMA},
    ).save()
    control_assign_reactor(
        control_id="SQS.1", expected_version=0, reactor_id=REACTOR, mode="manual", actor="seed"
    )


def _configure(client: Client, **params: str) -> Any:
    data = {"reactor_id": REACTOR, "params_reactor": REACTOR, "mode": "auto", "version": "1"}
    data |= {f"param_{name}": value for name, value in params.items()}
    return client.post(reverse("control_configure", args=["SQS.1"]), data)


def test_the_form_has_a_field_per_parameter_with_type_default_and_description(
    sqs: None, as_role: Callable[[str], Client]
) -> None:
    page = as_role("operator").get(reverse("control_detail", args=["SQS.1"]))
    html = page.content.decode()
    assert 'id="params-fields"' in html
    assert 'name="param_kms_key_id"' in html and "KMS key for SSE-KMS; empty: SSE-SQS" in html
    assert 'type="number" name="param_retention_days" value="90"' in html
    assert "(default: 90)" in html
    assert 'type="checkbox" name="param_notify"' in html
    # The reactor is offered for the control it declares only.
    other = as_role("admin").get(reverse("control_detail", args=["S3.2"])).content.decode()
    assert f'value="{REACTOR}"' not in other


def test_parameters_saved_from_the_form_are_stored_versioned_and_audited(
    sqs: None, as_role: Callable[[str], Client]
) -> None:
    response = _configure(as_role("operator"), kms_key_id="alias/queues", retention_days="90")
    assert response.status_code == 302
    stored = ControlModel.get("SQS.1", KIND_CONTROL, consistent_read=True)
    assert control_params(stored) == {"kms_key_id": "alias/queues"}  # 90 is the default
    assert stored.version == 2
    entry = AuditEntry.objects.get(action="control.configure", target_id="SQS.1")
    assert entry.after["params"] == {"kms_key_id": "alias/queues"}
    assert entry.after["version"] == 2
    page = as_role("viewer").get(reverse("control_detail", args=["SQS.1"])).content.decode()
    assert "alias/queues" in page.split('id="current-params"')[1].split("</dd>")[0]


def test_an_invalid_parameter_is_refused_on_its_field_and_nothing_is_saved(
    sqs: None, as_role: Callable[[str], Client]
) -> None:
    operator = as_role("operator")
    response = _configure(operator, kms_key_id="my key")
    assert response.status_code == 400
    form = response.context["configure_form"]
    assert "params/kms_key_id: does not match" in " ".join(form.errors["param_kms_key_id"])
    assert 'id="param-error-kms_key_id"' in response.content.decode()
    response = _configure(operator, retention_days="0")
    assert (
        response.status_code == 400
        and form.fields
        and "param_retention_days" in (response.context["configure_form"].errors)
    )
    stored = ControlModel.get("SQS.1", KIND_CONTROL, consistent_read=True)
    assert (stored.mode, stored.params, stored.version) == ("manual", None, 1)
    assert not AuditEntry.objects.filter(action="control.configure").exists()


def test_the_api_patch_validates_and_audits_parameters(
    sqs: None, as_role: Callable[[str], Client]
) -> None:
    operator = as_role("operator")
    url = "/api/v1/controls/SQS.1"
    bad = operator.patch(
        url, {"version": 1, "params": {"retention_days": 400}}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {
            "pointer": "#/params/retention_days",
            "detail": "params/retention_days: 400 is more than 365",
        }
    ]
    ok = operator.patch(
        url, {"version": 1, "params": {"retention_days": 30}}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["params"] == {"retention_days": 30}
    entry = AuditEntry.objects.get(action="control.update", target_id="SQS.1")
    assert (entry.before["params"], entry.after["params"]) == ({}, {"retention_days": 30})
    assert entry.after["version"] == 2


def test_the_execution_page_shows_the_parameters_used(
    sqs: None, as_role: Callable[[str], Client]
) -> None:
    ExecutionModel(
        "2024-05-01T00:00:00.000Z#abcd",
        control_id="SQS.1",
        reactor_id=REACTOR,
        status="succeeded",
        params={"kms_key_id": "alias/queues", "retention_days": 90},
        started_at="2024-05-01T00:00:00.000Z",
    ).save()
    url = reverse("execution_detail", args=["2024-05-01T00:00:00.000Z#abcd"])
    html = as_role("viewer").get(url).content.decode()
    shown = html.split('id="execution-params"')[1].split("</dd>")[0]
    assert "kms_key_id" in shown and "alias/queues" in shown and "retention_days" in shown
