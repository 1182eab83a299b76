"""``GET /api/v1/summary``: the dashboard numbers (one aggregate Query each, never a count)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.fields import QueryIntegerField
from ouroboros.aggregates.summary import MAX_DAYS, RECORD_STATES, summary_get


class ExecutionDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    total = serializers.IntegerField()
    by_status = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Ended executions by outcome: fixed, dry_run, skipped, failed, rolled_back.",
    )

    class Meta:
        ref_name = "SummaryExecutionDay"


class TimeToRemediateSerializer(serializers.Serializer):
    median_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField(help_text="Fixes counted (rolled-back fixes leave it).")

    class Meta:
        ref_name = "SummaryTimeToRemediate"


class SummaryGetApi(APIView):
    class FilterSerializer(serializers.Serializer):
        record_state = serializers.ChoiceField(
            choices=RECORD_STATES, default="ACTIVE", help_text="Findings counted by dimension."
        )
        days = QueryIntegerField(
            min_value=1, max_value=MAX_DAYS, default=14, help_text="Days of executions."
        )

    class OutputSerializer(serializers.Serializer):
        record_state = serializers.CharField()
        controls = serializers.IntegerField()
        findings_active = serializers.IntegerField()
        findings_archived = serializers.IntegerField()
        findings_by_severity = serializers.DictField(
            child=serializers.IntegerField(), source="findings_by.severity"
        )
        findings_by_compliance = serializers.DictField(
            child=serializers.IntegerField(), source="findings_by.compliance"
        )
        findings_by_workflow = serializers.DictField(
            child=serializers.IntegerField(), source="findings_by.workflow"
        )
        findings_by_account = serializers.DictField(
            child=serializers.IntegerField(), source="findings_by.account"
        )
        executions = ExecutionDaySerializer(many=True, help_text="Per day (UTC), oldest first.")
        time_to_remediate = TimeToRemediateSerializer(
            source="ttr",
            help_text="Seconds from first observed to fixed over the same days: median and p90 "
            "of the histogram the dashboard reads.",
        )

        class Meta:
            ref_name = "Summary"

    @extend_schema(
        operation_id="summary_get",
        tags=["summary"],
        parameters=[FilterSerializer],
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        summary = summary_get(**filters.validated_data)
        return Response(self.OutputSerializer(summary).data)
