"""``/api/v1/controls``: the controls list (the console's filters and sorts), one control, and
``PATCH`` of its reactor, mode, parameters and exemptions under an optimistic lock.

Parameters are checked against the reactor's ``params_schema``; each one refused is a validation
problem whose pointer names it (``#/params/<name>``).

``PATCH`` carries the ``version`` the caller read; when the control moved on since, nothing is
saved and the answer is a 409 problem whose ``current_version`` says where it is now
(`ouroboros.controls.configuration.control_update`, built on the service the console's forms use).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.fields import PatternField, StrictIntegerField, TextField
from console.audit.services import audit_record
from ouroboros.controls.configuration import KEEP, control_update
from ouroboros.controls.exemptions import MAX_EXEMPTIONS, ExemptionInput, exemption_expired
from ouroboros.controls.params import WHOLE, ControlParamsError, control_params
from ouroboros.controls.selectors import (
    SORTS,
    STATUSES,
    ControlFilters,
    control_get,
    control_list,
)
from ouroboros.models import ControlModel
from ouroboros.models.controls import MODES, TICKET_MODES
from ouroboros.models.findings import SEVERITY_RANK

CONTROL_ID = OpenApiParameter(
    "control_id",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
    description="A Security Hub control id, e.g. S3.1.",
)


class ExemptionSerializer(serializers.Serializer):
    exemption_id = serializers.CharField()
    account = serializers.CharField(allow_null=True)
    resource_pattern = serializers.CharField(allow_null=True)
    tag = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    expired = serializers.SerializerMethodField()
    reason = serializers.CharField()
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Exemption"

    def get_expired(self, obj: Any) -> bool:
        return exemption_expired(obj)


class ControlSerializer(serializers.Serializer):
    control_id = serializers.CharField()
    title = serializers.CharField(allow_null=True)
    severity = serializers.CharField(allow_null=True)
    service = serializers.CharField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    standard_ids = serializers.SerializerMethodField()
    failed_count = serializers.IntegerField(allow_null=True)
    reactor_id = serializers.CharField(allow_null=True)
    mode = serializers.SerializerMethodField()
    ticket = serializers.SerializerMethodField(
        help_text="Ticket behaviour: off, instead, after_failure, after_dry_run or manual."
    )
    params = serializers.SerializerMethodField(
        help_text="The reactor's parameters as set (its schema's defaults fill the rest)."
    )
    exemptions = serializers.SerializerMethodField()
    updated_by = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    version = serializers.SerializerMethodField(help_text="Send it back with PATCH.")

    class Meta:
        ref_name = "Control"

    def get_standard_ids(self, obj: ControlModel) -> list[str]:
        return sorted(obj.standard_ids or [])

    def get_mode(self, obj: ControlModel) -> str:
        return str(obj.mode or "off")

    def get_ticket(self, obj: ControlModel) -> str:
        return str(obj.ticket or "off")

    def get_params(self, obj: ControlModel) -> dict[str, Any]:
        return control_params(obj)

    @extend_schema_field(ExemptionSerializer(many=True))
    def get_exemptions(self, obj: ControlModel) -> list[dict[str, Any]]:
        return list(ExemptionSerializer(obj.exemptions or [], many=True).data)

    def get_version(self, obj: ControlModel) -> int:
        return int(obj.version or 0)


class ControlListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        q = TextField(required=False, max_length=200, help_text="Words of the id or title.")
        standard = TextField(required=False, max_length=256)
        severity = serializers.ChoiceField(choices=list(SEVERITY_RANK), required=False)
        status = serializers.ChoiceField(choices=list(STATUSES), required=False)
        service = TextField(required=False, max_length=128)
        reactor = TextField(
            required=False, max_length=128, help_text="A reactor id, * (any) or - (none)."
        )
        mode = serializers.ChoiceField(choices=list(MODES), required=False)
        sort = serializers.ChoiceField(choices=list(SORTS), default="control")

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            """``filters`` (a `ControlFilters`) and ``sort``: what `control_list` takes."""
            sort = attrs.pop("sort")
            attrs["search"] = attrs.pop("q", None)
            return {"filters": ControlFilters(**attrs), "sort": sort}

    class OutputSerializer(serializers.Serializer):
        results = ControlSerializer(many=True, source="items")

        class Meta:
            ref_name = "ControlList"

    @extend_schema(
        operation_id="control_list",
        tags=["controls"],
        parameters=[FilterSerializer],
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        listed = control_list(**filters.validated_data)
        return Response(self.OutputSerializer(listed).data)


class ControlDetailSerializer(ControlSerializer):
    standards = serializers.DictField(
        child=serializers.CharField(), help_text="Standard id -> the control's status in it."
    )

    class Meta:
        ref_name = "ControlDetail"

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {**ControlSerializer(instance.control).data, "standards": instance.standards}


class ControlGetApi(APIView):
    @extend_schema(
        operation_id="control_get",
        tags=["controls"],
        parameters=[CONTROL_ID],
        responses=ControlDetailSerializer,
    )
    def get(self, request: Request, control_id: str) -> Response:
        detail = control_get(control_id=control_id)
        return Response(ControlDetailSerializer(detail).data)


class ExemptionInputSerializer(serializers.Serializer):
    exemption_id = TextField(
        required=False, max_length=64, help_text="Keep this stored exemption (other fields unused)."
    )
    account = PatternField(r"^[0-9]{12}$", required=False)
    resource_pattern = TextField(required=False, max_length=512)
    tag = TextField(required=False, max_length=400, help_text="key=value")
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    reason = TextField(required=False, max_length=1000)

    class Meta:
        ref_name = "ExemptionInput"

    def to_internal_value(self, data: Any) -> str | ExemptionInput:
        values = super().to_internal_value(data)
        if values.get("exemption_id"):
            return str(values["exemption_id"])
        return ExemptionInput(**values)


class ControlUpdateApi(APIView):
    problem_statuses = (409,)

    class InputSerializer(serializers.Serializer):
        version = StrictIntegerField(
            min_value=0, max_value=2**53, help_text="The version you read (optimistic lock)."
        )
        reactor_id = TextField(
            required=False, allow_null=True, max_length=128, help_text="null: no reactor."
        )
        mode = serializers.ChoiceField(choices=list(MODES), required=False)
        ticket = serializers.ChoiceField(choices=list(TICKET_MODES), required=False)
        exemptions = ExemptionInputSerializer(
            many=True,
            required=False,
            max_length=MAX_EXEMPTIONS,
            help_text="The whole new list: stored ones by exemption_id, new ones in full.",
        )
        params = serializers.DictField(
            required=False,
            help_text="The reactor's parameters (the whole set; absent: kept, or cleared when "
            "the reactor changes).",
        )

        class Meta:
            ref_name = "ControlUpdate"

    @extend_schema(
        operation_id="control_update",
        tags=["controls"],
        parameters=[CONTROL_ID],
        request=InputSerializer,
        responses=ControlSerializer,
    )
    def patch(self, request: Request, control_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        fields = ("reactor_id", "mode", "exemptions", "params", "ticket")
        try:
            change = control_update(
                control_id=control_id,
                expected_version=given.pop("version"),
                actor=request.user.get_username(),
                **{name: given.get(name, KEEP) for name in fields},
            )
        except ControlParamsError as exc:
            errors = {
                "non_field_errors" if name == WHOLE else name: [message]
                for name, message in exc.problems.items()
            }
            raise serializers.ValidationError({"params": errors}) from exc
        before, after = ControlSerializer(change.before).data, ControlSerializer(change.after).data
        audited = ("reactor_id", "mode", "ticket", "params", "exemptions", "version")
        audit_record(
            request=request,
            action="control.update",
            target_type="control",
            target_id=control_id,
            before={k: before[k] for k in audited},
            after={k: after[k] for k in audited},
        )
        return Response(after)
