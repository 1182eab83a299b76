"""Routes under /api/ (included from console/urls.py as ``path("api/", include(...))``).

Every route here must be in the authorization matrix (tests/console/api/test_authorization.py);
the matrix test fails otherwise. The last route answers every unknown URL under /api/ with a 404
problem, so add routes above it.

How to add an endpoint (e.g. ``PATCH /api/v1/controls/{control_id}``):

1. In the resource's app, ``console/<resource>/api.py``, write a class
   ``<Entity><Action>Api(APIView)`` with exactly one method, its own nested ``InputSerializer`` /
   ``FilterSerializer`` / ``OutputSerializer`` (``class Meta: ref_name = "..."`` on every output
   serializer so the OpenAPI component names stay unique), and
   ``@extend_schema(operation_id="<entity>_<action>", tags=["<resource>"], request=...,
   parameters=[FilterSerializer], responses=...)``.
2. Validate input with the strict fields of ``console.api.fields`` (``TextField``,
   ``PatternField``, ``StrictIntegerField``, ``StrictBooleanField`` in bodies;
   ``QueryIntegerField``, ``QueryBooleanField`` in filters, fed with
   ``request.query_params.dict()``; a cursor is a ``PatternField`` so the schema says its shape),
   call ONE core service or selector with ``**validated_data`` (a filter serializer's
   ``validate`` may build the core's filters object), return
   ``Response(OutputSerializer(x).data)``. A write that both the console and the API offer is
   one console service of the resource's app doing the core call and the audit
   (``console.findings.services``, ``console.executions.services``, ``console.reactors.services``):
   both call it.
   Errors are raised, never returned: core errors (``NotFoundError``, ``ValidationError``,
   ``ConflictError``...) become problem details by their ``status_code``; list extra statuses
   the operation can answer in ``problem_statuses = (409,)`` so the schema documents them.
3. Writes: after the service succeeded, ``audit_record(request=request, action="<entity>.<verb>",
   target_type=..., target_id=..., before=..., after=...)`` (``console.audit.services``).
4. Permissions come by default (reads: viewer; writes: operator with a session or write token);
   set ``required_role = "admin"`` on the class to raise the bar.
5. Route it here with ``operations(get=..., patch=...)`` above the catch-all (ids in paths:
   ``<id:...>`` for database ids, ``<key:...>`` for one segment, ``<finding:...>`` for finding ids,
   which may hold slashes; both bounded so they fit a DynamoDB key), and add its row to ``MATRIX``
   in ``tests/console/api/test_authorization.py``. The schemathesis run
   (``tests/console/api/test_fuzz.py``) picks it up from the schema.
"""

from __future__ import annotations

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularJSONAPIView

from console.api.docs import ApiDocsView
from console.api.problems import api_not_found
from console.api.routing import FindingIdConverter, IdConverter, KeyConverter, operations
from console.audit import api as audit
from console.controls import api as controls
from console.dashboard import api as summary
from console.executions import api as executions
from console.findings import api as findings
from console.findings import bulk_api as findings_bulk
from console.hub import api as hub
from console.reactors import api as reactors
from console.tokens import api as tokens

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
    # Before the finding route: "bulk" would read as a finding id.
    path(
        "v1/findings/bulk", operations(post=findings_bulk.FindingBulkApi), name="api-findings-bulk"
    ),
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
        "v1/executions/<key:execution_id>/rollback",
        operations(post=executions.ExecutionRollbackApi),
        name="api-execution-rollback",
    ),
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
    path("v1/hub/reactors", operations(get=hub.HubReactorListApi), name="api-hub-reactors"),
    path(
        "v1/hub/reactors/<key:reactor_id>",
        operations(get=hub.HubReactorGetApi),
        name="api-hub-reactor",
    ),
    path("schema/", operations(get=SpectacularJSONAPIView), name="api-schema"),
    path("docs/", operations(get=ApiDocsView), name="api-docs"),
    # Keep last: every other URL under /api/ (even with a newline in it) is a 404 problem.
    re_path(r"^(?P<unknown>[\s\S]*)$", api_not_found, name="api-not-found"),
]
