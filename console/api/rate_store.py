"""Where the API's rate-limit counters live: in DynamoDB, shared by every console instance.

`rate_counter` returns the store that ``settings.OUROBOROS_API_RATE_STORE`` names (read on every
request):

- ``dynamodb`` (every deployment and the local runtime): `DynamoDBRateCounter`, the
  ``api_rate_limits`` table (`ouroboros.models.rate_limits`). Each request is one atomic
  UpdateItem (``ADD hits 1``, on the condition that the window has not ended), so concurrent
  requests of one caller on any number of console instances (Lambda containers, processes) are
  counted once each and the limit holds in total. A caller's first request, and the first after
  a window ended, costs a second write that starts a new window (``hits = 1``, on the condition
  that no window is running: when two instances race to start it, one wins and the other counts
  in the window it started).
- ``cache``: `CacheRateCounter`, Django's cache, which is this process's memory unless
  ``CACHES`` names a shared backend: each process counts on its own. The test settings use it,
  so the API tests that run without DynamoDB keep doing so.

A window is fixed: it starts with a caller's first request after the previous window ended and
lasts the rate's period (a minute for ``600/minute``); a request is allowed while the window
holds at most the rate's number of requests, and a refused one is told to retry when the window
ends. Refused requests are counted too: the window's end never moves, so that changes nothing.

If DynamoDB fails (throttled, unreachable, the table missing), the request is counted in this
process's cache instead and a warning is logged: the limit then holds per instance, as before
this table existed, rather than not at all, and the API stays available.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from botocore.exceptions import BotoCoreError
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from ouroboros.models.rate_limits import EXPIRY_GRACE_SECONDS, ApiRateLimitModel

logger = logging.getLogger(__name__)

#: Tries of the count-then-start-a-window pair before counting in the cache instead: each lost
#: race means another instance just started the window, so the next count succeeds.
ATTEMPTS = 3
STORES = ("dynamodb", "cache")


@dataclass(frozen=True)
class RateWindow:
    """A caller's current window after counting one request: its requests and its end."""

    hits: int
    ends_at: float


class RateCounter(Protocol):
    """Counts one request of ``key`` at ``now`` (epoch seconds) in a window of ``duration``."""

    def hit(self, key: str, *, now: float, duration: float) -> RateWindow: ...


class CacheRateCounter:
    """Counters in Django's cache (this process's memory by default; the test settings' store)."""

    # Django's local-memory cache makes each get and set atomic, not the pair.
    _lock = threading.Lock()

    def hit(self, key: str, *, now: float, duration: float) -> RateWindow:
        with self._lock:
            stored = cache.get(key)
            hits, ends_at = stored if stored and stored[1] > now else (0, now + duration)
            hits += 1
            cache.set(key, (hits, ends_at), timeout=max(1, math.ceil(ends_at - now)))
        return RateWindow(hits, ends_at)


class DynamoDBRateCounter:
    """Counters in the ``api_rate_limits`` table, shared by every console instance."""

    def hit(self, key: str, *, now: float, duration: float) -> RateWindow:
        try:
            counted = self._hit(key, now=now, duration=duration)
        except (PynamoDBException, BotoCoreError) as exc:
            logger.warning(
                "rate limit counters unavailable (%s: %s); counting %s in this instance only",
                type(exc).__name__,
                exc,
                key,
            )
            counted = None
        if counted is None:
            return CacheRateCounter().hit(key, now=now, duration=duration)
        return counted

    def _hit(self, key: str, *, now: float, duration: float) -> RateWindow | None:
        model = ApiRateLimitModel
        for _ in range(ATTEMPTS):
            item = model(counter_key=key)
            if _updated(item, [model.hits.add(1)], model.window_ends > now):
                return RateWindow(int(item.hits or 0), float(item.window_ends or now))
            ends_at = now + duration
            expires = datetime.fromtimestamp(ends_at + EXPIRY_GRACE_SECONDS, UTC)
            started = _updated(
                item,
                [model.hits.set(1), model.window_ends.set(ends_at), model.expires_at.set(expires)],
                model.window_ends.does_not_exist() | (model.window_ends <= now),
            )
            if started:
                return RateWindow(1, ends_at)
        logger.warning("rate limit counter %s contended %d times; counting here", key, ATTEMPTS)
        return None


def _updated(item: ApiRateLimitModel, actions: list[Action], condition: Condition) -> bool:
    """Apply ``actions`` to ``item`` if ``condition`` holds (True) or not (False)."""
    try:
        item.update(actions=actions, condition=condition)
    except PynamoDBException as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def rate_counter() -> RateCounter:
    """The counter store of the current settings (``OUROBOROS_API_RATE_STORE``)."""
    store = getattr(settings, "OUROBOROS_API_RATE_STORE", "dynamodb")
    if store == "dynamodb":
        return DynamoDBRateCounter()
    if store == "cache":
        return CacheRateCounter()
    raise ImproperlyConfigured(
        f"OUROBOROS_API_RATE_STORE={store!r}: expected one of {', '.join(STORES)}"
    )
