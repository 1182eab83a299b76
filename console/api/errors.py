"""Errors of the API layer (they derive from `OuroborosError`, like every error on purpose)."""

from __future__ import annotations

from ouroboros.errors import OuroborosError


class ApiTokenInvalidError(OuroborosError):
    """The bearer token is unknown, malformed, revoked or expired, or its owner is inactive."""

    status_code = 401
