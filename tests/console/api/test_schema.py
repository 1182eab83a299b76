"""The OpenAPI schema is complete, warning-free and honest about errors."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.routing import operations
from tests.console.api.conftest import Principal

pytestmark = [pytest.mark.django_db]

OPERATIONS = {
    ("GET", "/api/v1/summary"): "summary_get",
    ("GET", "/api/v1/tokens"): "api_token_list",
    ("POST", "/api/v1/tokens"): "api_token_create",
    ("DELETE", "/api/v1/tokens/{token_id}"): "api_token_revoke",
    ("GET", "/api/v1/audit"): "audit_list",
    ("GET", "/api/v1/findings"): "finding_list",
    ("GET", "/api/v1/findings/{finding_id}"): "finding_get",
    ("POST", "/api/v1/findings/{finding_id}/remediate"): "finding_remediate",
    ("POST", "/api/v1/findings/bulk"): "finding_bulk",
    ("GET", "/api/v1/controls"): "control_list",
    ("GET", "/api/v1/controls/{control_id}"): "control_get",
    ("PATCH", "/api/v1/controls/{control_id}"): "control_update",
    ("GET", "/api/v1/executions"): "execution_list",
    ("GET", "/api/v1/executions/{execution_id}"): "execution_get",
    ("POST", "/api/v1/executions/{execution_id}/rollback"): "execution_rollback",
    ("GET", "/api/v1/reactors"): "reactor_list",
    ("POST", "/api/v1/reactors"): "reactor_install",
    ("DELETE", "/api/v1/reactors/{reactor_id}"): "reactor_uninstall",
    ("POST", "/api/v1/reactors/{reactor_id}/upgrade"): "reactor_upgrade",
    ("GET", "/api/v1/hub/reactors"): "hub_reactor_list",
    ("GET", "/api/v1/hub/reactors/{reactor_id}"): "hub_reactor_get",
}


def _schema() -> dict[str, Any]:
    out = io.StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out
    )
    return json.loads(out.getvalue())


def test_schema_is_valid_and_lists_every_operation() -> None:
    schema = _schema()
    found = {
        (method.upper(), path): op["operationId"]
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }
    assert found == OPERATIONS
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }


def test_every_operation_documents_its_problem_responses() -> None:
    schema = _schema()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            codes = set(op["responses"])
            assert {"401", "403", "429"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes
            if method in ("post", "put", "patch"):
                assert {"400", "415"} <= codes
            for code, response in op["responses"].items():
                if code >= "400":
                    assert set(response["content"]) == {"application/problem+json"}
                    assert response["description"]
            assert any(op_security == {"bearerAuth": []} for op_security in op["security"])


def test_served_schema_needs_a_viewer(principals: dict[str, Principal]) -> None:
    assert principals["anonymous"].client.get("/api/schema/").status_code == 401
    response = principals["read_token"].client.get("/api/schema/")
    assert response.status_code == 200 and response.json()["info"]["title"] == "Ouroboros API"


def test_one_class_per_operation_is_enforced() -> None:
    class TwoMethodsApi(APIView):
        def get(self, request: Request) -> Response:
            return Response()

        def post(self, request: Request) -> Response:
            return Response()

    with pytest.raises(TypeError, match="exactly GET"):
        operations(get=TwoMethodsApi)
    with pytest.raises(TypeError):
        operations(get=object)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        operations(trace=TwoMethodsApi)
