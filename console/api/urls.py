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
from console.api.routing import IdConverter, operations
from console.api.views import audit, summary, tokens

register_converter(IdConverter, "id")

urlpatterns = [
    path("v1/summary", operations(get=summary.SummaryGetApi), name="api-summary"),
    path(
        "v1/tokens",
        operations(get=tokens.TokenListApi, post=tokens.TokenCreateApi),
        name="api-tokens",
    ),
    path("v1/tokens/<id:token_id>", operations(delete=tokens.TokenRevokeApi), name="api-token"),
    path("v1/audit", operations(get=audit.AuditListApi), name="api-audit"),
    path("schema/", operations(get=SpectacularJSONAPIView), name="api-schema"),
    path("docs/", operations(get=ApiDocsView), name="api-docs"),
    # Keep last: every other URL under /api/ is a 404 problem.
    re_path(r"^(?P<unknown>.*)$", api_not_found, name="api-not-found"),
]
