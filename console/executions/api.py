"""``/api/v1/executions``: remediation attempts, newest first (cursor pages), one execution, and
the rollback of one.

The reads call `ouroboros.executions.selectors`, like the console's executions pages.
``POST /api/v1/executions/{id}/rollback`` calls `console.executions.services
.execution_rollback_audited` (as the console's "Roll back" button does) and answers 202 with the
rollback's execution, ``pending``: the workflow runs it; poll ``GET /api/v1/executions/{id}``
until the original's status is ``rolled_back`` (or the rollback's is ``failed``). A second
rollback of one execution is a 409.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.fields import SIGNED_CURSOR_PATTERN, PatternField, QueryIntegerField, TextField
from console.executions.services import execution_rollback_audited
from ouroboros.executions.selectors import (
    MAX_LIMIT,
    ExecutionFilters,
    execution_get,
    execution_list,
)
from ouroboros.models.executions import STATUSES
from ouroboros.workflow.rollback import execution_can_roll_back

EXECUTION_ID = OpenApiParameter(
    "execution_id",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[ -.0-~]{1,512}$",
    description="The execution's id (``<started at>#<suffix>``), URL-encoded.",
)


class ExecutionSerializer(serializers.Serializer):
    execution_id = serializers.CharField()
    status = serializers.CharField(allow_null=True)
    finding_id = serializers.CharField(allow_null=True)
    control_id = serializers.CharField(allow_null=True)
    account_id = serializers.CharField(allow_null=True)
    region = serializers.CharField(allow_null=True)
    resource_id = serializers.CharField(allow_null=True)
    reactor_id = serializers.CharField(allow_null=True)
    reactor_version = serializers.CharField(allow_null=True)
    trigger = serializers.CharField(allow_null=True, help_text="event, manual or rollback.")
    actor = serializers.CharField(allow_null=True)
    mode = serializers.CharField(allow_null=True)
    dry_run = serializers.BooleanField(allow_null=True)
    skip_reason = serializers.CharField(allow_null=True)
    error = serializers.CharField(allow_null=True)
    error_type = serializers.CharField(allow_null=True)
    changes = serializers.ListField(child=serializers.JSONField(), allow_null=True)
    can_rollback = serializers.SerializerMethodField()
    rolled_back_by = serializers.CharField(allow_null=True)
    rollback_of = serializers.CharField(
        allow_null=True, help_text="The execution this one rolls back (trigger rollback)."
    )
    started_at = serializers.CharField(allow_null=True)
    finished_at = serializers.CharField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    ticket_id = serializers.CharField(
        allow_null=True, help_text="The ticket opened for this run (ouroboros.tickets)."
    )
    ticket_url = serializers.CharField(allow_null=True)
    ticket_channel = serializers.CharField(allow_null=True, help_text="securityhub or webhook.")

    class Meta:
        ref_name = "Execution"

    def get_can_rollback(self, obj: Any) -> bool:
        return execution_can_roll_back(obj)


class ExecutionListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        finding_id = TextField(required=False, max_length=2048)
        control_id = TextField(required=False, max_length=128)
        status = serializers.ChoiceField(choices=list(STATUSES), required=False)
        cursor = PatternField(
            SIGNED_CURSOR_PATTERN, required=False, help_text="The next_cursor of the last page."
        )
        limit = QueryIntegerField(min_value=1, max_value=MAX_LIMIT, default=50)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            """``filters`` (an `ExecutionFilters`), ``cursor``, ``limit``."""
            names = ("finding_id", "control_id", "status")
            filters = ExecutionFilters(**{n: attrs.pop(n) for n in names if n in attrs})
            return {**attrs, "filters": filters}

    class OutputSerializer(serializers.Serializer):
        results = ExecutionSerializer(many=True, source="items")
        next_cursor = serializers.CharField(allow_null=True)
        partial = serializers.BooleanField()

        class Meta:
            ref_name = "ExecutionPage"

    @extend_schema(
        operation_id="execution_list",
        tags=["executions"],
        parameters=[FilterSerializer],
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = execution_list(**filters.validated_data)
        return Response(self.OutputSerializer(page).data)


class ExecutionGetApi(APIView):
    @extend_schema(
        operation_id="execution_get",
        tags=["executions"],
        parameters=[EXECUTION_ID],
        responses=ExecutionSerializer,
    )
    def get(self, request: Request, execution_id: str) -> Response:
        execution = execution_get(execution_id=execution_id)
        return Response(ExecutionSerializer(execution).data)


class ExecutionRollbackApi(APIView):
    problem_statuses = (409,)

    class OutputSerializer(serializers.Serializer):
        execution_id = serializers.CharField(help_text="The execution rolled back.")
        rollback = ExecutionSerializer(help_text="The rollback's own execution (pending).")
        status = serializers.CharField(help_text="The rollback's status: pending.")
        poll = serializers.CharField(help_text="Where to poll the execution rolled back.")

        class Meta:
            ref_name = "ExecutionRollback"

    @extend_schema(
        operation_id="execution_rollback",
        tags=["executions"],
        parameters=[EXECUTION_ID],
        request=None,
        responses={202: OutputSerializer},
    )
    def post(self, request: Request, execution_id: str) -> Response:
        rollback = execution_rollback_audited(request=request, execution_id=execution_id)
        body = {
            "execution_id": execution_id,
            "rollback": rollback,
            "status": rollback.status,
            "poll": reverse("api-execution", args=[execution_id]),
        }
        return Response(self.OutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)
