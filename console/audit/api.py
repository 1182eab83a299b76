"""``GET /api/v1/audit``: the audit trail, newest first, for admins only (read-only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.fields import QueryIntegerField, TextField
from console.audit.selectors import CURSOR_PATTERN, MAX_LIMIT, audit_list


class AuditEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_name")
    token_id = serializers.IntegerField(allow_null=True)
    token_name = serializers.CharField()
    via = serializers.CharField()
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    request_id = serializers.CharField()
    ip = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "AuditEntry"


class AuditListApi(APIView):
    required_role = "admin"

    class FilterSerializer(serializers.Serializer):
        cursor = serializers.RegexField(
            CURSOR_PATTERN, required=False, help_text="The next_cursor of the previous page."
        )
        limit = QueryIntegerField(min_value=1, max_value=MAX_LIMIT, default=50)
        action = TextField(required=False, max_length=64)
        actor = TextField(required=False, max_length=150, source="actor_name")
        target_type = TextField(required=False, max_length=32)
        target_id = TextField(required=False, max_length=512)

    class OutputSerializer(serializers.Serializer):
        results = AuditEntrySerializer(many=True, source="entries")
        next_cursor = serializers.CharField(allow_null=True)

        class Meta:
            ref_name = "AuditPage"

    @extend_schema(
        operation_id="audit_list",
        tags=["audit"],
        parameters=[FilterSerializer],
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = audit_list(**filters.validated_data)
        return Response(self.OutputSerializer(page).data)
