"""Per-caller rate limits: by token for automation, by user for sessions, by address otherwise.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (scopes ``token``, ``user``,
``anon``; set from the environment in ``console/settings/base.py``) and are read on every request,
so a settings change applies at once. Over the limit the API answers 429 with ``Retry-After``
(when the caller's window ends). Counters live in DynamoDB, shared by every console instance, so
a limit holds in total however many Lambda containers or processes serve a caller: a fixed
window per caller, counted with one atomic write per request (`console.api.rate_store`, which
also says what happens when DynamoDB fails).

DRF checks throttles only after authentication and permissions, so a request with no credentials
or a bad token would end in 401 before any throttle ran and never be limited. The API's exception
handler therefore passes every 401 through `throttle_failed_authentication`: anonymous and
bad-token requests count against the ``anon`` limit of their address and get 429 once over it.
A request with a valid token or session is never counted in (nor blocked by) that bucket. The
address is ``REMOTE_ADDR`` (``NUM_PROXIES`` is 0), never ``X-Forwarded-For``.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from console.api.rate_store import RateWindow, rate_counter
from console.tokens.models import ApiToken


class _LiveRateThrottle(SimpleRateThrottle):
    """DRF's rate parsing and keys; the counting is an atomic counter in a shared store (DRF's
    own keeps a list of request times in the cache, a read-modify-write that instances race)."""

    window: RateWindow | None = None

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request: Request, view: Any) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None or self.num_requests is None or self.duration is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.window = rate_counter().hit(self.key, now=self.now, duration=self.duration)
        return self.window.hits <= self.num_requests

    def wait(self) -> float | None:
        """Seconds until the caller's window ends (asked only when the request was refused)."""
        if self.window is None:
            return None
        return max(0.0, self.window.ends_at - self.now)


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


def throttle_failed_authentication(request: Request, view: Any) -> exceptions.Throttled | None:
    """Count a request refused with 401 against its address's anonymous limit.

    Returns the 429 to answer instead when the address is over that limit, else None (answer the
    401). ``request.user`` is anonymous here: DRF sets it so when authentication fails.
    """
    throttle = AnonymousRateThrottle()
    if throttle.allow_request(request, view):
        return None
    return exceptions.Throttled(wait=throttle.wait())
