"""Routes under /api/ (included from console/urls.py as ``path("api/", include(...))``).

Every route here must be in the authorization matrix (tests/console/api/test_authorization.py);
the matrix test fails otherwise. The last route answers every unknown URL under /api/ with a 404
problem, so add routes above it.
"""

from __future__ import annotations

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularJSONAPIView

from console.api.docs import ApiDocsView
from console.api.problems import api_not_found
from console.api.routing import FindingIdConverter, IdConverter, KeyConverter, operations
from console.api.views import audit, controls, executions, findings, reactors, summary, tokens

register_converter(IdConverter, "id")
register_converter(FindingIdConverter, "finding")
register_converter(KeyConverter, "key")

urlpatterns = [
    path("v1/summary", operations(get=summary.SummaryGetApi), name="api-summary"),
    path(
        "v1/tokens",
        operations(get=tokens.TokenListApi, post=tokens.TokenCreateApi),
        name="api-tokens",
    ),
    path("v1/tokens/<id:token_id>", operations(delete=tokens.TokenRevokeApi), name="api-token"),
    path("v1/audit", operations(get=audit.AuditListApi), name="api-audit"),
    path("v1/findings", operations(get=findings.FindingListApi), name="api-findings"),
    # Before the finding route: a finding id may hold slashes.
    path(
        "v1/findings/<finding:finding_id>/remediate",
        operations(post=findings.FindingRemediateApi),
        name="api-finding-remediate",
    ),
    path(
        "v1/findings/<finding:finding_id>",
        operations(get=findings.FindingGetApi),
        name="api-finding",
    ),
    path("v1/controls", operations(get=controls.ControlListApi), name="api-controls"),
    path(
        "v1/controls/<key:control_id>",
        operations(get=controls.ControlGetApi, patch=controls.ControlUpdateApi),
        name="api-control",
    ),
    path("v1/executions", operations(get=executions.ExecutionListApi), name="api-executions"),
    path(
        "v1/executions/<key:execution_id>",
        operations(get=executions.ExecutionGetApi),
        name="api-execution",
    ),
    path(
        "v1/reactors",
        operations(get=reactors.ReactorListApi, post=reactors.ReactorInstallApi),
        name="api-reactors",
    ),
    path(
        "v1/reactors/<key:reactor_id>",
        operations(delete=reactors.ReactorUninstallApi),
        name="api-reactor",
    ),
    path(
        "v1/reactors/<key:reactor_id>/upgrade",
        operations(post=reactors.ReactorUpgradeApi),
        name="api-reactor-upgrade",
    ),
    path("v1/hub/reactors", operations(get=reactors.HubReactorListApi), name="api-hub-reactors"),
    path(
        "v1/hub/reactors/<key:reactor_id>",
        operations(get=reactors.HubReactorGetApi),
        name="api-hub-reactor",
    ),
    path("schema/", operations(get=SpectacularJSONAPIView), name="api-schema"),
    path("docs/", operations(get=ApiDocsView), name="api-docs"),
    # Keep last: every other URL under /api/ (even with a newline in it) is a 404 problem.
    re_path(r"^(?P<unknown>[\s\S]*)$", api_not_found, name="api-not-found"),
]
