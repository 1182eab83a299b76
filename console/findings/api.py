"""``/api/v1/findings``: the findings list (the console's filters, sort, search and cursor pages),
one finding with its raw ASFF, and ``POST .../remediate`` (starts the workflow, or a dry run).
Each finding says which formats it was seen in (``asff``: Security Hub CSPM, ``ocsf``: Security
Hub V2) and its V2 status.

The list and the retrieve call `ouroboros.findings.selectors` like the console's findings pages;
remediate calls `console.findings.services.finding_remediate` like the console's button.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.fields import (
    SIGNED_CURSOR_PATTERN,
    PatternField,
    QueryIntegerField,
    StrictBooleanField,
    TextField,
)
from console.findings.services import finding_remediate
from ouroboros.findings.plan import MAX_LIMIT
from ouroboros.findings.selectors import (
    COMPLIANCE_STATUSES,
    RECORD_STATES,
    SEARCH_KINDS,
    SEVERITIES,
    SORTS,
    WORKFLOW_STATUSES,
    FindingFilters,
    finding_get,
    finding_list,
)
from ouroboros.securityhub.asff import FORMAT_ASFF

#: A finding id as Security Hub spells them (ARNs, UUIDs: printable ASCII, at most 512). The
#: route takes any printable id up to 512 characters; longer ones never reach DynamoDB.
FINDING_ID_PATTERN = r"^[ -~]{1,512}$"
FINDING_ID = OpenApiParameter(
    "finding_id",
    str,
    OpenApiParameter.PATH,
    pattern=FINDING_ID_PATTERN,
    description="The finding's id (ASFF ``Id``, usually an ARN), URL-encoded.",
)


class FindingSerializer(serializers.Serializer):
    finding_id = serializers.CharField()
    title = serializers.CharField(allow_null=True)
    control_id = serializers.CharField(allow_null=True)
    severity = serializers.CharField(source="severity_label")
    compliance_status = serializers.CharField(allow_null=True)
    workflow_status = serializers.CharField(allow_null=True)
    record_state = serializers.CharField()
    account_id = serializers.CharField()
    region = serializers.CharField(allow_null=True)
    resource_type = serializers.CharField(allow_null=True)
    resource_id = serializers.CharField(allow_null=True)
    product_name = serializers.CharField(allow_null=True)
    updated_at = serializers.CharField(help_text="ISO 8601, as Security Hub gave it.")
    first_observed_at = serializers.CharField(allow_null=True)
    formats = serializers.SerializerMethodField(
        help_text="The formats the finding was seen in: asff (Security Hub CSPM), ocsf "
        "(Security Hub V2)."
    )
    v2_status = serializers.CharField(
        source="ocsf_status",
        allow_null=True,
        help_text="Security Hub V2's status (OCSF status: New, In Progress, Resolved...).",
    )

    class Meta:
        ref_name = "Finding"

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_formats(self, finding: Any) -> list[str]:
        """An item older than OCSF support records no formats: it was ASFF."""
        return [str(f) for f in finding.formats or [FORMAT_ASFF]]


def _choices(values: tuple[str, ...]) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=list(values), required=False)


class FindingListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        q = TextField(required=False, max_length=500, help_text="Search text (see search_in).")
        search_in = serializers.ChoiceField(choices=list(SEARCH_KINDS), default="auto")
        record_state = serializers.ChoiceField(choices=list(RECORD_STATES), default="ACTIVE")
        severity = _choices(SEVERITIES)
        compliance = _choices(COMPLIANCE_STATUSES)
        workflow = _choices(WORKFLOW_STATUSES)
        account = PatternField(r"^[0-9]{12}$", required=False)
        region = TextField(required=False, max_length=64)
        control = TextField(required=False, max_length=128)
        resource_type = TextField(required=False, max_length=256)
        product = TextField(required=False, max_length=256)
        resource = TextField(required=False, max_length=500, help_text="Exact resource id/ARN.")
        sort = serializers.ChoiceField(choices=list(SORTS), default="-updated")
        cursor = PatternField(
            SIGNED_CURSOR_PATTERN, required=False, help_text="The next_cursor of the last page."
        )
        limit = QueryIntegerField(min_value=1, max_value=MAX_LIMIT, default=50)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            """``filters`` (a `FindingFilters`), ``sort``, ``cursor``, ``limit``: what
            `finding_list` takes."""
            given = {name: attrs.pop(name, None) or None for name in _FILTER_NAMES}
            given["search"] = attrs.pop("q", None) or None
            filters = FindingFilters(
                record_state=attrs.pop("record_state"), search_in=attrs.pop("search_in"), **given
            )
            return {**attrs, "filters": filters}

    class OutputSerializer(serializers.Serializer):
        results = FindingSerializer(many=True, source="items")
        next_cursor = serializers.CharField(allow_null=True)
        partial = serializers.BooleanField(
            help_text="The page stopped at its read budget: follow next_cursor for more."
        )
        notices = serializers.ListField(child=serializers.CharField(), source="plan.notices")

        class Meta:
            ref_name = "FindingPage"

    @extend_schema(
        operation_id="finding_list",
        tags=["findings"],
        parameters=[FilterSerializer],
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = finding_list(**filters.validated_data)
        return Response(self.OutputSerializer(page).data)


_FILTER_NAMES = (
    "severity",
    "compliance",
    "workflow",
    "account",
    "region",
    "control",
    "resource_type",
    "product",
    "resource",
)


class FindingGetApi(APIView):
    class OutputSerializer(FindingSerializer):
        resource_ids = serializers.ListField(
            child=serializers.CharField(), source="finding.resource_ids", allow_null=True
        )
        asff = serializers.JSONField(allow_null=True, help_text="The raw ASFF finding.")
        asff_error = serializers.CharField(allow_null=True)
        v2_status_id = serializers.IntegerField(
            allow_null=True, help_text="Security Hub V2's OCSF status_id (1 New ... 4 Resolved)."
        )
        metadata_uid = serializers.CharField(
            allow_null=True, help_text="Security Hub V2's handle of the finding (metadata.uid)."
        )

        class Meta:
            ref_name = "FindingDetail"

        def to_representation(self, instance: Any) -> dict[str, Any]:
            data = dict(FindingSerializer(instance.finding).data)
            data["resource_ids"] = list(instance.finding.resource_ids or [])
            status_id = instance.finding.ocsf_status_id
            data["v2_status_id"] = None if status_id is None else int(status_id)
            data["metadata_uid"] = instance.finding.metadata_uid
            data["asff"] = instance.asff
            data["asff_error"] = instance.asff_error
            return data

    @extend_schema(
        operation_id="finding_get",
        tags=["findings"],
        parameters=[FINDING_ID],
        responses=OutputSerializer,
    )
    def get(self, request: Request, finding_id: str) -> Response:
        detail = finding_get(finding_id=finding_id)
        return Response(self.OutputSerializer(detail).data)


class FindingRemediateApi(APIView):
    #: 409: the finding's provenance is refused, or its control has no installed reactor.
    problem_statuses = (409,)

    class InputSerializer(serializers.Serializer):
        dry_run = StrictBooleanField(
            default=False, help_text="Run the reactor without changing anything."
        )

        class Meta:
            ref_name = "FindingRemediate"

    class OutputSerializer(serializers.Serializer):
        finding_id = serializers.CharField()
        dry_run = serializers.BooleanField()
        execution_arn = serializers.CharField(help_text="The workflow's Step Functions execution.")

        class Meta:
            ref_name = "FindingRemediation"

    @extend_schema(
        operation_id="finding_remediate",
        tags=["findings"],
        parameters=[FINDING_ID],
        request=InputSerializer,
        responses={202: OutputSerializer},
    )
    def post(self, request: Request, finding_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        arn = finding_remediate(request=request, finding_id=finding_id, **data.validated_data)
        body = {"finding_id": finding_id, "execution_arn": arn, **data.validated_data}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)
