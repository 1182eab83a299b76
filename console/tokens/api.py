"""``/api/v1/tokens``: the caller's own API tokens: list, create (secret shown once), revoke.

Creating and revoking are writes like any other: an operator (or admin) with a session or a
write token. A token created with a token records it as its parent and cannot expire later than
it; revoking a token revokes every token minted from it, transitively.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.api.fields import StrictIntegerField, TextField
from console.tokens.models import ApiToken
from console.tokens.selectors import api_token_list
from console.tokens.services import MAX_EXPIRES_DAYS, api_token_create, api_token_revoke


class ApiTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    scope = serializers.ChoiceField(choices=ApiToken.Scope.values)
    status = serializers.ChoiceField(choices=["active", "expired", "revoked"])
    prefix = serializers.CharField(help_text="The public start of the token: ouro_<prefix>_...")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(
        allow_null=True, help_text="Recorded at most once a minute."
    )

    class Meta:
        ref_name = "ApiToken"


class TokenListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        results = ApiTokenSerializer(many=True)

        class Meta:
            ref_name = "ApiTokenList"

    @extend_schema(operation_id="api_token_list", tags=["tokens"], responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        tokens = api_token_list(user=request.user)
        return Response(self.OutputSerializer({"results": tokens}).data)


class TokenCreateApi(APIView):
    problem_statuses = (409,)

    class InputSerializer(serializers.Serializer):
        name = TextField(max_length=100)
        scope = serializers.ChoiceField(choices=ApiToken.Scope.values)
        expires_days = StrictIntegerField(
            min_value=1, max_value=MAX_EXPIRES_DAYS, required=False, allow_null=True
        )

        class Meta:
            ref_name = "ApiTokenCreate"

    class OutputSerializer(ApiTokenSerializer):
        token = serializers.SerializerMethodField(
            help_text="The secret. Shown only in this response."
        )

        class Meta:
            ref_name = "ApiTokenCreated"

        def get_token(self, obj: ApiToken) -> str:
            return str(self.context["secret"])

    @extend_schema(
        operation_id="api_token_create",
        tags=["tokens"],
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = api_token_create(
            user=request.user,
            parent=request.auth if isinstance(request.auth, ApiToken) else None,
            request=request,
            **data.validated_data,
        )
        body = self.OutputSerializer(created.token, context={"secret": created.secret}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenRevokeApi(APIView):
    @extend_schema(
        operation_id="api_token_revoke",
        tags=["tokens"],
        parameters=[OpenApiParameter("token_id", int, OpenApiParameter.PATH)],
        responses={204: None},
    )
    def delete(self, request: Request, token_id: int) -> Response:
        api_token_revoke(token_id=token_id, owner=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
