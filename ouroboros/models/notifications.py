"""Consumer table ``security_notifications``: what the notification subscriber delivered.

One item per delivered message (`ouroboros.notify.delivery.notification_deliver`): when, the
message (the execution's outcome, never a webhook URL) and per channel the outcome of the post.
The console's notifications page reads them newest first, one page per Query on
``time-index`` (``kind``, ``delivered_at``): the same locally (DynamoDB Local) and on AWS.

Hash key ``notification_id`` (``<ISO time>#<random>``). ``kind`` is the constant
``NOTIFICATION``, the hash key of ``time-index``: notifications are a low-volume stream (one per
execution that ends), far below a partition's write limit. ``expires_at`` is the table's TTL
attribute (epoch seconds, `RETENTION_DAYS` after delivery): DynamoDB deletes old deliveries
itself (bootstrap enables TTL on the attribute, `TTL_ATTRIBUTE`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from ouroboros.models.base import OuroborosModel

KIND_NOTIFICATION = "NOTIFICATION"
RETENTION_DAYS = 90
TTL_ATTRIBUTE = "expires_at"


class NotificationTimeIndex(GlobalSecondaryIndex[Any]):
    """``time-index``: (kind, delivered_at), every delivery by time."""

    class Meta:
        index_name = "time-index"
        projection = AllProjection()

    kind = UnicodeAttribute(hash_key=True)
    delivered_at = UnicodeAttribute(range_key=True)


class NotificationModel(OuroborosModel):
    """One delivery: the message and the outcome of each channel (never a URL)."""

    short_name: ClassVar[str] = "security_notifications"
    #: The attribute DynamoDB's time to live reads (bootstrap enables it).
    ttl_attribute: ClassVar[str] = TTL_ATTRIBUTE

    class Meta(OuroborosModel.Meta):
        pass

    notification_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(default=KIND_NOTIFICATION)
    delivered_at = UnicodeAttribute()
    message = JSONAttribute(default=dict)
    channels = JSONAttribute(default=dict)
    expires_at = TTLAttribute(null=True)

    time_index = NotificationTimeIndex()
