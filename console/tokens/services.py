"""Writes about API tokens: create (the secret is returned once), revoke, record use.

Creation and revocation are audited in the same transaction (``api_token.create`` /
``api_token.revoke``), never with the secret. A token created by a request that is itself
authenticated with a token records it as its ``parent`` and cannot outlive it: its expiry is
capped at the parent's, so a leaked expiring token cannot mint a permanent one. Revoking a token
revokes, in the same transaction, every token minted from it, transitively (each one audited as
``api_token.revoke`` with ``cascade_from``), so a leaked token cannot leave working descendants.
Chains are at most `MAX_LINEAGE` tokens below their root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from console.api.fields import PRINTABLE
from console.audit.services import audit_record
from console.tokens.models import ApiToken
from console.tokens.selectors import MAX_LINEAGE, api_token_ancestors, api_token_lineage_is_active
from console.tokens.token_codec import token_generate
from ouroboros.errors import ConflictError, NotFoundError, ValidationError

_PRINTABLE = re.compile(PRINTABLE)
MAX_EXPIRES_DAYS = 3650
#: ``last_used_at`` is written at most once per this interval and token.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedToken:
    """A new token and its secret, which exists nowhere else once this object is gone."""

    token: ApiToken
    secret: str


def api_token_snapshot(token: ApiToken) -> dict[str, Any]:
    """What the audit trail records about a token (never its secret nor its digest)."""
    return {
        "id": token.pk,
        "name": token.name,
        "user": token.user.get_username(),
        "scope": token.scope,
        "prefix": token.prefix,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "parent": token.parent_id,
    }


def _clean_name(name: str) -> str:
    if (
        not isinstance(name, str)
        or not 1 <= len(name) <= 100
        or not _PRINTABLE.match(name)
        or any("\ud800" <= c <= "\udfff" for c in name)
    ):
        raise ValidationError("name must be 1 to 100 printable characters")
    return name


def _expiry(expires_days: int | None, parent: ApiToken | None, now: datetime) -> datetime | None:
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise ValidationError(f"expires_days must be between 1 and {MAX_EXPIRES_DAYS}")
    expires_at = now + timedelta(days=expires_days) if expires_days is not None else None
    if parent is not None and parent.expires_at is not None:
        expires_at = min(expires_at or parent.expires_at, parent.expires_at)
    return expires_at


def _check_parent(parent: ApiToken | None, now: datetime) -> None:
    """A parent must be active all the way up, and its chain short enough to walk.

    Called inside the creating transaction with the parent's row locked, so a revocation of the
    parent either commits first (and this refuses) or waits and then finds the new child.
    """
    if parent is None:
        return
    ApiToken.objects.select_for_update().filter(pk=parent.pk).first()
    parent.refresh_from_db(fields=["revoked_at", "expires_at", "parent"])
    if not api_token_lineage_is_active(parent, now):
        raise ValidationError("the token that mints must be active")
    if len(api_token_ancestors(parent)) + 1 > MAX_LINEAGE:
        raise ValidationError(
            f"a token can descend from at most {MAX_LINEAGE} tokens: mint from an older one"
        )


def api_token_create(
    *,
    user: Any,
    name: str,
    scope: str,
    expires_days: int | None = None,
    parent: ApiToken | None = None,
    request: HttpRequest | None = None,
    actor: Any = None,
    actor_name: str | None = None,
) -> CreatedToken:
    """Create a token for ``user``; return it with its secret (the only time it is visible).

    ``parent`` is the token the request authenticated with, if any (caps the expiry). Raises
    `ValidationError` for a bad name, scope or expiry and `ConflictError` when ``user`` already
    has an active token of that name.
    """
    name = _clean_name(name)
    if scope not in ApiToken.Scope.values:
        raise ValidationError("scope must be read or write")
    if not getattr(user, "is_active", False):
        raise ValidationError("the token owner must be an active user")
    now = timezone.now()
    generated = token_generate()
    try:
        with transaction.atomic():
            _check_parent(parent, now)
            expires_at = _expiry(expires_days, parent, now)
            token = ApiToken.objects.create(
                name=name,
                user=user,
                scope=scope,
                prefix=generated.prefix,
                digest=generated.digest,
                created_at=now,
                expires_at=expires_at,
                parent=parent,
            )
            audit_record(
                action="api_token.create",
                target_type="api_token",
                target_id=str(token.pk),
                after=api_token_snapshot(token),
                request=request,
                actor=actor,
                token=parent,
                actor_name=actor_name,
            )
    except IntegrityError as exc:
        if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
            raise ConflictError(f"an active token named {name!r} exists already") from exc
        raise
    return CreatedToken(token=token, secret=generated.value)


def _descendants(token: ApiToken) -> list[ApiToken]:
    """Every token minted from ``token``, transitively, locked for update (breadth first)."""
    found: list[ApiToken] = []
    seen = {token.pk}
    frontier = [token.pk]
    while frontier:
        children = list(
            ApiToken.objects.select_for_update()
            .select_related("user")
            .filter(parent_id__in=frontier)
            .exclude(pk__in=seen)
            .order_by("id")
        )
        seen.update(child.pk for child in children)
        found += children
        frontier = [child.pk for child in children]
    return found


def _revoke_one(
    token: ApiToken,
    *,
    now: datetime,
    cascade_from: ApiToken | None,
    request: HttpRequest | None,
    actor: Any,
    actor_name: str | None,
) -> None:
    before = api_token_snapshot(token)
    token.revoked_at = now
    token.save(update_fields=["revoked_at"])
    after = api_token_snapshot(token)
    if cascade_from is not None:
        after["cascade_from"] = cascade_from.pk
    audit_record(
        action="api_token.revoke",
        target_type="api_token",
        target_id=str(token.pk),
        before=before,
        after=after,
        request=request,
        actor=actor,
        token=getattr(request, "auth", None) if request is not None else None,
        actor_name=actor_name,
    )


def api_token_revoke(
    *,
    token_id: int,
    owner: Any = None,
    request: HttpRequest | None = None,
    actor: Any = None,
    actor_name: str | None = None,
) -> ApiToken:
    """Revoke token ``token_id`` (only among ``owner``'s tokens when given) and every token
    minted from it, transitively, in one transaction; idempotent.

    A token already revoked is not audited again, but its descendants still active (none
    should be) are revoked now. Raises `NotFoundError` when there is no such token (or it is not
    ``owner``'s).
    """
    with transaction.atomic():
        tokens = ApiToken.objects.select_for_update().select_related("user")
        if owner is not None:
            tokens = tokens.filter(user=owner)
        token = tokens.filter(pk=token_id).first()
        if token is None:
            raise NotFoundError(f"no API token {token_id}")
        now = timezone.now()
        audit = {"request": request, "actor": actor, "actor_name": actor_name}
        if token.revoked_at is None:
            _revoke_one(token, now=now, cascade_from=None, **audit)
        for descendant in _descendants(token):
            if descendant.revoked_at is None:
                _revoke_one(descendant, now=now, cascade_from=token, **audit)
    return token


def api_token_touch(*, token: ApiToken, now: datetime | None = None) -> bool:
    """Record that ``token`` was used; writes at most once per minute. Whether it wrote."""
    now = now or timezone.now()
    threshold = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > threshold:
        return False
    # Conditional UPDATE: concurrent requests of one token write once.
    updated = (
        ApiToken.objects.filter(pk=token.pk)
        .exclude(last_used_at__gt=threshold)
        .update(last_used_at=now)
    )
    token.last_used_at = now
    return bool(updated)
