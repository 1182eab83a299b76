"""Consumer table ``api_rate_limits``: the console API's rate-limit counters, shared by instances.

One item per caller and scope (hash key ``counter_key``, e.g. ``throttle_token_12``: the API
token 12, ``throttle_anon_203.0.113.7``: an address without valid credentials): the requests
counted in the caller's current window (``hits``) and when that window ends (``window_ends``,
epoch seconds). Every console instance (each Lambda container, each local process) counts in the
same item with an atomic UpdateItem (`console.api.rate_store`), so a limit holds in total,
however many instances serve the caller.

A window starts with the first request after the previous one ended and lasts the rate's period.
``expires_at`` is the table's TTL attribute (epoch seconds, the window's end plus
`EXPIRY_GRACE_SECONDS`): DynamoDB deletes counters of callers gone quiet by itself (bootstrap
enables TTL on it); the counting never relies on that deletion, which can lag by days.
"""

from __future__ import annotations

from typing import ClassVar

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute

from ouroboros.models.base import OuroborosModel

TTL_ATTRIBUTE = "expires_at"
#: How long after its window ends a counter may be deleted.
EXPIRY_GRACE_SECONDS = 3600


class ApiRateLimitModel(OuroborosModel):
    """The requests of one caller in one scope in its current window."""

    short_name: ClassVar[str] = "api_rate_limits"
    #: The attribute DynamoDB's time to live reads (bootstrap enables it).
    ttl_attribute: ClassVar[str] = TTL_ATTRIBUTE

    class Meta(OuroborosModel.Meta):
        pass

    counter_key = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(null=True)
    window_ends = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)
