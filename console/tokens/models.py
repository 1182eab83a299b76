"""API tokens: named, owned by a user, scoped (read / write), optionally expiring, revocable.

A token looks like ``ouro_<prefix>_<secret>``: ``prefix`` (12 hex characters) is stored in clear
and finds the row; the whole token is never stored, only its keyed SHA-256 (HMAC with the
Django secret key and a salt of its own). The secret has 256 bits of entropy, so a fast keyed hash
is enough (no password hashing needed). The token is shown once, at creation.

A token acts with the current role of its owner: demoting the user demotes every token.

A token created by a request authenticated with a token records it as its ``parent``: the token
that minted it. A child never outlives its parent (its expiry is capped at creation), revoking a
token revokes every token minted from it, transitively (`console.tokens.services.api_token_revoke`),
and authentication refuses a token whose parent or any further ancestor is revoked or expired even
if its own row were still active (`console.tokens.selectors.api_token_authenticate`).

The model moved here from ``console.api``; its table keeps that app's name (``api_apitoken``), so
tokens created before the move keep working (migrations ``api.0002`` and ``tokens.0001``).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ApiToken(models.Model):
    """One API token (its secret is never stored)."""

    class Scope(models.TextChoices):
        READ = "read", "read"
        WRITE = "write", "write"

    name = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    scope = models.CharField(max_length=5, choices=Scope.choices)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    #: The token that minted this one through the API (None: created by a session, page or CLI).
    #: Deleting a token row deletes what it minted: nothing outlives its parent.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="minted"
    )

    class Meta:
        db_table = "api_apitoken"
        ordering = ["-id"]
        verbose_name = "API token"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_active_name_unique_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user}, {self.scope})"

    def is_active(self, now: datetime | None = None) -> bool:
        """Not revoked and not expired at ``now``."""
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def status(self) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.is_active() else "expired"
