"""``/api/v1/reactors``: the reactors installed in this account: list, install, upgrade, uninstall.

Installing, upgrading and uninstalling are requests: the item is written at once (``installing``,
or deleted) and the installer does the AWS work from the table's stream, so they answer
``202 Accepted`` and the installed list shows how it ends. They go through
`console.reactors.services.reactor_change` (audited), like the reactor pages.

A version that declares dangerous actions (``approval_required`` in ``/api/v1/hub/reactors/{id}``)
needs ``approved_actions``: exactly that list, sent by an admin. Without it the answer is 400 with
the list to approve; an operator who sends it gets 403.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.fields import PatternField
from console.hub.api import REACTOR_ID, REACTOR_ID_PATTERN, VersionInput
from console.reactors.services import reactor_change
from ouroboros.reactors.services import reactor_installed_list


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
    approved_actions = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The dangerous actions an admin approved for this version.",
    )
    approved_by = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "InstalledReactor"


class ApprovalInput(serializers.Serializer):
    approved_actions = serializers.ListField(
        child=serializers.RegexField(r"^[a-z0-9-]+:[A-Za-z0-9]+$", max_length=128),
        required=False,
        max_length=500,
        help_text=(
            "The dangerous actions the version declares (its approval_required), approved by an "
            "admin: exactly those, or the request is refused."
        ),
    )


class ReactorListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        results = InstalledReactorSerializer(many=True)

        class Meta:
            ref_name = "InstalledReactorList"

    @extend_schema(operation_id="reactor_list", tags=["reactors"], responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        items = reactor_installed_list()
        return Response(self.OutputSerializer({"results": items}).data)


class ReactorInstallApi(APIView):
    problem_statuses = (404, 409)

    class InputSerializer(VersionInput, ApprovalInput):
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

    class InputSerializer(VersionInput, ApprovalInput):
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
