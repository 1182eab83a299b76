"""``Authorization: Bearer <token>`` authentication for automation.

No header, or another scheme, means "not this authentication" (the session may still apply). A
bearer header with a bad token always ends in 401, never 403: malformed, unknown, revoked and
expired tokens look the same to the caller. The token itself is never logged or echoed.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from console.api.errors import ApiTokenInvalidError
from console.tokens.models import ApiToken
from console.tokens.selectors import api_token_authenticate
from console.tokens.services import api_token_touch

REALM = 'Bearer realm="api"'


class BearerTokenAuthentication(BaseAuthentication):
    """Authenticates an `ApiToken`: ``request.auth`` is the token, ``request.user`` its owner."""

    keyword = "bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, rest = header.partition(" ")
        if scheme.lower() != self.keyword:
            return None
        value = rest.strip()
        if not value or " " in value:
            raise exceptions.AuthenticationFailed("malformed bearer token")
        try:
            token = api_token_authenticate(value=value)
        except ApiTokenInvalidError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return REALM
