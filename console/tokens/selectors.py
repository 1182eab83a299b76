"""Reads about API tokens: a user's tokens, and the token behind an ``Authorization`` header."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from console.api.errors import ApiTokenInvalidError
from console.tokens.models import ApiToken
from console.tokens.token_codec import token_matches, token_prefix


def api_token_list(*, user: Any = None) -> QuerySet[ApiToken]:
    """Tokens newest first: ``user``'s, or every user's when ``user`` is None."""
    tokens = ApiToken.objects.select_related("user").order_by("-id")
    return tokens.filter(user=user) if user is not None else tokens


def api_token_authenticate(*, value: str) -> ApiToken:
    """The active token whose secret is ``value``.

    Raises `ApiTokenInvalidError` (one message for every case, so callers learn nothing about
    which tokens exist) for a malformed, unknown, revoked or expired token or an inactive owner.
    """
    invalid = ApiTokenInvalidError("invalid, revoked or expired token")
    prefix = token_prefix(value)
    if prefix is None:
        raise invalid
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not token_matches(value, token.digest):
        raise invalid
    if not token.is_active(timezone.now()) or not token.user.is_active:
        raise invalid
    return token
