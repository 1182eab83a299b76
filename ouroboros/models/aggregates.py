"""Consumer table ``security_aggregates``: counters kept up to date on write, and sync state.

Not in the original system: the console's dashboard counts must not count items per request, so
writers add deltas here (``UpdateItem ADD``) in the same pass that writes the findings. The
collectors also keep their watermarks here.

Hash ``aggregate_id`` (e.g. ``findings#severity``), range ``bucket`` (e.g. ``ACTIVE#CRITICAL``):
one Query returns every bucket of an aggregate.
"""

from __future__ import annotations

from typing import ClassVar

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from ouroboros.models.base import OuroborosModel


class AggregateModel(OuroborosModel):
    """One counter (``total``) or one piece of sync state (``value``)."""

    short_name: ClassVar[str] = "security_aggregates"

    class Meta(OuroborosModel.Meta):
        pass

    aggregate_id = UnicodeAttribute(hash_key=True)
    bucket = UnicodeAttribute(range_key=True)
    total = NumberAttribute(default=0)
    value = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
