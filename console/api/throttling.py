"""Per-caller rate limits: by token for automation, by user for sessions, by address otherwise.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (scopes ``token``, ``user``,
``anon``; set from the environment in ``console/settings/base.py``) and are read on every request,
so a settings change applies at once. Over the limit the API answers 429 with ``Retry-After``.
Counters live in Django's cache: with several processes (Lambda) configure a shared ``CACHES``
backend, or each process counts on its own.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from console.tokens.models import ApiToken


class _LiveRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Request, view: Any) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class TokenRateThrottle(_LiveRateThrottle):
    """Requests authenticated with an API token, keyed by the token's id."""

    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class SessionRateThrottle(_LiveRateThrottle):
    """Requests authenticated with a session, keyed by the user's id."""

    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.auth is not None or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonymousRateThrottle(_LiveRateThrottle):
    """Unauthenticated requests, keyed by the client's address."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
