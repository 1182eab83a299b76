"""Writes about API tokens: create (the secret is returned once), revoke, record use.

Creation and revocation are audited in the same transaction (``api_token.create`` /
``api_token.revoke``), never with the secret. A token created by a request that is itself
authenticated with a token cannot outlive it: its expiry is capped at the parent's, so a leaked
expiring token cannot mint a permanent one.
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
    expires_at = _expiry(expires_days, parent, now)
    generated = token_generate()
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                name=name,
                user=user,
                scope=scope,
                prefix=generated.prefix,
                digest=generated.digest,
                created_at=now,
                expires_at=expires_at,
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


def api_token_revoke(
    *,
    token_id: int,
    owner: Any = None,
    request: HttpRequest | None = None,
    actor: Any = None,
    actor_name: str | None = None,
) -> ApiToken:
    """Revoke token ``token_id`` (only among ``owner``'s tokens when given); idempotent.

    Raises `NotFoundError` when there is no such token (or it is not ``owner``'s).
    """
    with transaction.atomic():
        tokens = ApiToken.objects.select_for_update().select_related("user")
        if owner is not None:
            tokens = tokens.filter(user=owner)
        token = tokens.filter(pk=token_id).first()
        if token is None:
            raise NotFoundError(f"no API token {token_id}")
        if token.revoked_at is not None:
            return token
        before = api_token_snapshot(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action="api_token.revoke",
            target_type="api_token",
            target_id=str(token.pk),
            before=before,
            after=api_token_snapshot(token),
            request=request,
            actor=actor,
            token=getattr(request, "auth", None) if request is not None else None,
            actor_name=actor_name,
        )
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
