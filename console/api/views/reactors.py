"""``/api/v1/reactors`` (installed in this account: list, install, upgrade, uninstall) and
``/api/v1/hub/reactors`` (the Hub catalog: list and search, one reactor).

Installing, upgrading and uninstalling are requests: the item is written at once (``installing``,
or deleted) and the installer does the AWS work from the table's stream, so they answer
``202 Accepted`` and the installed list shows how it ends. They go through
`console.reactors.services.reactor_change` (audited), like the reactor pages.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.fields import PatternField, QueryIntegerField, TextField
from console.reactors.services import reactor_change
from ouroboros.reactors.catalog import (
    MAX_PAGE,
    hub_catalog_list,
    hub_reactor_get,
    hub_reactor_manifest,
)
from ouroboros.reactors.services import reactor_installed_list

REACTOR_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,39}$"
VERSION_PATTERN = r"^[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}$"
REACTOR_ID = OpenApiParameter(
    "reactor_id",
    str,
    OpenApiParameter.PATH,
    pattern=REACTOR_ID_PATTERN,
    description="e.g. s3-public-read",
)


class InstalledReactorSerializer(serializers.Serializer):
    reactor_id = serializers.CharField()
    version = serializers.CharField()
    status = serializers.CharField(help_text="installing, installed or failed.")
    status_reason = serializers.CharField(allow_null=True)
    previous_version = serializers.CharField(allow_null=True)
    function_arn = serializers.CharField(allow_null=True)
    installed_by = serializers.CharField(allow_null=True)
    requested_at = serializers.DateTimeField(allow_null=True)
    installed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "InstalledReactor"


class HubReactorSerializer(serializers.Serializer):
    reactor_id = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField(allow_null=True)
    description = serializers.CharField(allow_null=True)
    control_ids = serializers.ListField(child=serializers.CharField(), allow_null=True)
    status = serializers.CharField(help_text="pending, verified or rejected.")
    published_by = serializers.CharField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "HubReactor"


class ReactorListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        results = InstalledReactorSerializer(many=True)

        class Meta:
            ref_name = "InstalledReactorList"

    @extend_schema(operation_id="reactor_list", tags=["reactors"], responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        items = reactor_installed_list()
        return Response(self.OutputSerializer({"results": items}).data)


class _VersionInput(serializers.Serializer):
    version = PatternField(
        VERSION_PATTERN, required=False, help_text="Default: the latest verified version."
    )


class ReactorInstallApi(APIView):
    problem_statuses = (404, 409)

    class InputSerializer(_VersionInput):
        reactor_id = PatternField(REACTOR_ID_PATTERN)

        class Meta:
            ref_name = "ReactorInstall"

    @extend_schema(
        operation_id="reactor_install",
        tags=["reactors"],
        request=InputSerializer,
        responses={202: InstalledReactorSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = reactor_change(request=request, action="install", **data.validated_data)
        return Response(InstalledReactorSerializer(item).data, status=status.HTTP_202_ACCEPTED)


class ReactorUpgradeApi(APIView):
    problem_statuses = (409,)

    class InputSerializer(_VersionInput):
        class Meta:
            ref_name = "ReactorUpgrade"

    @extend_schema(
        operation_id="reactor_upgrade",
        tags=["reactors"],
        parameters=[REACTOR_ID],
        request=InputSerializer,
        responses={202: InstalledReactorSerializer},
    )
    def post(self, request: Request, reactor_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = reactor_change(
            request=request, action="upgrade", reactor_id=reactor_id, **data.validated_data
        )
        return Response(InstalledReactorSerializer(item).data, status=status.HTTP_202_ACCEPTED)


class ReactorUninstallApi(APIView):
    problem_statuses = (409,)

    @extend_schema(
        operation_id="reactor_uninstall",
        tags=["reactors"],
        parameters=[REACTOR_ID],
        responses={202: InstalledReactorSerializer},
    )
    def delete(self, request: Request, reactor_id: str) -> Response:
        item = reactor_change(request=request, action="uninstall", reactor_id=reactor_id)
        return Response(InstalledReactorSerializer(item).data, status=status.HTTP_202_ACCEPTED)


class HubReactorListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        search = TextField(
            required=False, max_length=100, help_text="Words of the id, title, controls, text."
        )
        cursor = PatternField(
            r"^[A-Za-z0-9_=-]{1,2048}$",
            required=False,
            help_text="The next_cursor of the last page.",
        )
        limit = QueryIntegerField(min_value=1, max_value=MAX_PAGE, default=50)

    class OutputSerializer(serializers.Serializer):
        results = HubReactorSerializer(many=True, source="items")
        next_cursor = serializers.CharField(allow_null=True)

        class Meta:
            ref_name = "HubReactorPage"

    @extend_schema(
        operation_id="hub_reactor_list",
        tags=["hub"],
        parameters=[FilterSerializer],
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = hub_catalog_list(**filters.validated_data)
        return Response(self.OutputSerializer(page).data)


class HubReactorDetailSerializer(HubReactorSerializer):
    manifest = serializers.SerializerMethodField(
        help_text="Permissions, parameters schema, documentation."
    )

    class Meta:
        ref_name = "HubReactorDetail"

    def get_manifest(self, obj: Any) -> dict[str, Any]:
        return hub_reactor_manifest(obj)


class HubReactorGetApi(APIView):
    class FilterSerializer(_VersionInput):
        pass

    @extend_schema(
        operation_id="hub_reactor_get",
        tags=["hub"],
        parameters=[REACTOR_ID, FilterSerializer],
        responses=HubReactorDetailSerializer,
    )
    def get(self, request: Request, reactor_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        item = hub_reactor_get(reactor_id=reactor_id, **filters.validated_data)
        return Response(HubReactorDetailSerializer(item).data)
