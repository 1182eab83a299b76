"""``/api/v1/hub/reactors``: the Hub catalog (list and search, one reactor with its manifest).

Also the reactor id and version patterns every reactor operation shares (`console.reactors.api`
installs what this catalog lists).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.fields import SIGNED_CURSOR_PATTERN, PatternField, QueryIntegerField, TextField
from ouroboros.reactors.catalog import (
    MAX_PAGE,
    hub_catalog_list,
    hub_reactor_get,
    hub_reactor_manifest,
)
from ouroboros.reactors.dangerous_actions import manifest_dangerous_actions

REACTOR_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,39}$"
VERSION_PATTERN = r"^[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}$"
REACTOR_ID = OpenApiParameter(
    "reactor_id",
    str,
    OpenApiParameter.PATH,
    pattern=REACTOR_ID_PATTERN,
    description="e.g. s3-public-read",
)


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


# The optional ``version`` of a reactor (install, upgrade, the Hub's detail). No docstring: the
# schema would take it as the description of every serializer built on it.
class VersionInput(serializers.Serializer):
    version = PatternField(
        VERSION_PATTERN, required=False, help_text="Default: the latest verified version."
    )


class HubReactorListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        search = TextField(
            required=False, max_length=100, help_text="Words of the id, title, controls, text."
        )
        cursor = PatternField(
            SIGNED_CURSOR_PATTERN,
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

    approval_required = serializers.SerializerMethodField(
        help_text=(
            "Dangerous actions this version declares: an admin must approve exactly these to "
            "install it (approved_actions)."
        )
    )

    def get_manifest(self, obj: Any) -> dict[str, Any]:
        return hub_reactor_manifest(obj)

    def get_approval_required(self, obj: Any) -> list[str]:
        return manifest_dangerous_actions(hub_reactor_manifest(obj))


class HubReactorGetApi(APIView):
    class FilterSerializer(VersionInput):
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
