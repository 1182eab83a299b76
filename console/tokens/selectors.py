"""Reads about API tokens: a user's tokens, and the token behind an ``Authorization`` header.

A token is only as good as its lineage: authentication walks the ``parent`` links up to the
root and refuses the token if any ancestor is revoked or expired. Revocation already cascades
down (`console.tokens.services.api_token_revoke`); this check is the defence in depth for a row
left active by anything else (a partial restore, a manual edit). The walk is bounded by
`MAX_LINEAGE`, the deepest chain `api_token_create` lets anyone mint.
"""

from __future__ import annotations

from datetime import datetime
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


#: A token may descend from at most this many ancestors (root token: 0).
MAX_LINEAGE = 8


def api_token_ancestors(token: ApiToken) -> list[ApiToken]:
    """The tokens that minted ``token``: its parent first, the root last.

    Stops after `MAX_LINEAGE` + 1 ancestors (deeper chains are never minted, so a longer
    result is itself a reason to refuse) and on a loop (none is ever created).
    """
    ancestors: list[ApiToken] = []
    seen = {token.pk}
    parent_id = token.parent_id
    while parent_id is not None and parent_id not in seen and len(ancestors) <= MAX_LINEAGE:
        parent = ApiToken.objects.filter(pk=parent_id).first()
        if parent is None:
            break
        ancestors.append(parent)
        seen.add(parent.pk)
        parent_id = parent.parent_id
    return ancestors


def api_token_lineage_is_active(token: ApiToken, now: datetime | None = None) -> bool:
    """Whether ``token`` and every token that minted it are active (not revoked, not expired)."""
    now = now or timezone.now()
    if not token.is_active(now):
        return False
    ancestors = api_token_ancestors(token)
    if len(ancestors) > MAX_LINEAGE:
        return False
    return all(ancestor.is_active(now) for ancestor in ancestors)


def api_token_authenticate(*, value: str) -> ApiToken:
    """The active token whose secret is ``value``.

    Raises `ApiTokenInvalidError` (one message for every case, so callers learn nothing about
    which tokens exist) for a malformed, unknown, revoked or expired token, a token minted
    (directly or not) by a revoked or expired token, or an inactive owner.
    """
    invalid = ApiTokenInvalidError("invalid, revoked or expired token")
    prefix = token_prefix(value)
    if prefix is None:
        raise invalid
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not token_matches(value, token.digest):
        raise invalid
    if not token.user.is_active or not api_token_lineage_is_active(token):
        raise invalid
    return token
