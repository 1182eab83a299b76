"""The format of API tokens and their keyed digest; the only place that sees a whole token.

``ouro_<prefix>_<secret>``: ``prefix`` is 12 hex characters (48 random bits, stored in clear to
find the row), ``secret`` 43 URL-safe characters (256 random bits). The digest is an HMAC-SHA256
of the whole token keyed with the Django secret key (and a salt of its own); tokens keep working
across a key rotation while the old key is in ``SECRET_KEY_FALLBACKS``.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import salted_hmac

TOKEN_PREFIX = "ouro_"  # noqa: S105  (a format marker, not a secret)
_SALT = "ouroboros.api.token"
_FORMAT = re.compile(r"^ouro_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewToken:
    """A freshly generated token: ``value`` is shown once; ``prefix`` and ``digest`` are stored."""

    value: str
    prefix: str
    digest: str


def token_digest(value: str, *, key: str | None = None) -> str:
    """Hex HMAC-SHA256 of ``value`` under ``key`` (default: the current secret key)."""
    return salted_hmac(
        _SALT, value, secret=key or settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()


def token_generate() -> NewToken:
    """A new random token."""
    prefix = secrets.token_hex(6)
    value = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return NewToken(value=value, prefix=prefix, digest=token_digest(value))


def token_prefix(value: str) -> str | None:
    """The lookup prefix of a well-formed token, or None."""
    match = _FORMAT.match(value)
    return match.group(1) if match else None


def token_matches(value: str, digest: str) -> bool:
    """Whether ``value`` hashes to ``digest`` under the current or a fallback secret key."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(hmac.compare_digest(token_digest(value, key=key), digest) for key in keys)
