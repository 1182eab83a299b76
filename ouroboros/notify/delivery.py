"""The notification topic's subscriber: post each message to every configured channel.

Channels and their webhook URLs come from the configuration (``OUROBOROS_*_WEBHOOK_URL`` or an
SSM parameter name, see `ouroboros.config`). URLs are secrets: they are never logged, never part
of an error message, never stored; a delivery record names the channel only.

A channel whose SSM parameter does not exist is *not configured*, not failed: every deployment
names the three webhook parameters (``/ouroboros/<stage>/{slack-,wechat-,}webhook-url``) and the
operator creates only those of the channels in use; the delivery records ``not configured``
without a warning or a post.

Every URL must pass the webhook policy (`ouroboros.notify.webhooks`: https to public hosts, no
redirect to another host; plain http to loopback only in the local runtime); a refused URL is
recorded as ``refused: <rule>``, never posted to and never retried.

Each post is retried (3 attempts, 1 s then 2 s apart) on connection errors, 429 and 5xx. Every
delivery is recorded in ``security_notifications`` (`ouroboros.models.notifications`, kept
`RETENTION_DAYS` days by the table's TTL), which the console's notifications page reads newest
first, a page per Query on ``time-index`` (`notification_list`): the same locally and on AWS. A
record that cannot be written is logged; the posts already happened and are not retried for it.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ouroboros.aws.parameters import ParameterMissing, parameter_get
from ouroboros.config import get_config
from ouroboros.errors import ValidationError
from ouroboros.models.notifications import (
    KIND_NOTIFICATION,
    RETENTION_DAYS,
    NotificationModel,
)
from ouroboros.notify.formats import FORMATS
from ouroboros.notify.outcomes import message_correlation
from ouroboros.notify.webhooks import WebhookRefused, webhook_opener, webhook_url_check
from ouroboros.observability.logging import correlation_bound
from ouroboros.pagination import QuerySource, query_page

logger = logging.getLogger(__name__)

ATTEMPTS = 3
#: The outcome of a channel whose webhook parameter the operator has not created.
NOT_CONFIGURED = "not configured"
MAX_LIMIT = 200


def _url(value: str) -> str:
    return parameter_get(value.removeprefix("ssm:")) if value.startswith("ssm:") else value


def _post(url: str, payload: Mapping[str, Any], *, timeout: float = 10) -> int:
    local = get_config().local_runtime
    webhook_url_check(url, local=local)
    request = urllib.request.Request(  # noqa: S310 - the URL is operator configuration
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with webhook_opener(local=local).open(request, timeout=timeout) as response:
        return int(response.status)


def channel_post(
    channel: str, secret: str, message: Mapping[str, Any], *, pause: float = 1.0
) -> str:
    """Post ``message`` to one channel with retries; the outcome (never the URL)."""
    payload = FORMATS[channel](message)
    outcome = "not attempted"
    try:
        url = _url(secret)
    except ParameterMissing:
        return NOT_CONFIGURED
    except Exception as exc:  # an unreadable parameter (access denied, throttled...)
        logger.warning("notification to %s failed: error (%s)", channel, type(exc).__name__)
        return f"failed: error ({type(exc).__name__})"
    for attempt in range(1, ATTEMPTS + 1):
        try:
            status = _post(url, payload)
            return f"ok ({status})"
        except WebhookRefused as exc:
            logger.warning("notification to %s refused: %s", channel, exc.reason)
            return f"refused: {exc.reason}"
        except urllib.error.HTTPError as exc:
            outcome = f"HTTP {exc.code}"
            if exc.code != 429 and exc.code < 500:
                break
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            outcome = f"connection error ({type(reason).__name__})"
        except Exception as exc:  # a bad parameter name, a malformed URL...
            outcome = f"error ({type(exc).__name__})"
            break
        if attempt < ATTEMPTS:
            time.sleep(pause * attempt)
    logger.warning("notification to %s failed: %s", channel, outcome)
    return f"failed: {outcome}"


def notification_deliver(*, message: Mapping[str, Any], pause: float = 1.0) -> dict[str, Any]:
    """Deliver one message to every configured channel and record the delivery."""
    with correlation_bound(**message_correlation(message)):
        outcomes = {
            channel: channel_post(channel, secret, message, pause=pause)
            for channel, secret in get_config().webhooks
        }
        logger.info("notification %s delivered: %s", message.get("status"), outcomes)
    now = datetime.now(UTC)
    record = {
        "at": now.isoformat(timespec="seconds"),
        "message": dict(message),
        "channels": outcomes,
    }
    try:
        NotificationModel(
            f"{now.isoformat(timespec='milliseconds')}#{secrets.token_hex(4)}",
            delivered_at=now.isoformat(timespec="milliseconds"),
            message=json.loads(json.dumps(dict(message), default=str)),
            channels=outcomes,
            expires_at=now + timedelta(days=RETENTION_DAYS),
        ).save()
    except Exception as exc:  # the posts happened; only the console's record is lost
        logger.warning("delivery record not written: %s", type(exc).__name__)
    return record


def sns_event_deliver(*, event: Mapping[str, Any], pause: float = 1.0) -> list[dict[str, Any]]:
    """Deliver every message of an SNS event (``Records[].Sns.Message``, JSON).

    `ValidationError` when the event is not an SNS event; a record whose message is not a JSON
    object is skipped with a warning (SNS would only redeliver the same bytes).
    """
    if not isinstance(event, Mapping) or not isinstance(event.get("Records") or [], list):
        raise ValidationError("event: expected an SNS event with a Records list")
    delivered = []
    for record in event.get("Records") or []:
        sns = record.get("Sns") if isinstance(record, Mapping) else None
        if not isinstance(sns, Mapping):
            continue
        try:
            message = json.loads(str(sns.get("Message")))
        except ValueError:
            message = None
        if not isinstance(message, dict):
            logger.warning("SNS message %s is not a JSON object: skipped", sns.get("MessageId"))
            continue
        delivered.append(notification_deliver(message=message, pause=pause))
    return delivered


@dataclass(frozen=True)
class Delivery:
    """One recorded delivery: when (UTC), the message, and each channel's outcome."""

    at: datetime
    message: dict[str, Any]
    channels: dict[str, str]


@dataclass(frozen=True)
class DeliveryPage:
    """A page of deliveries, newest first, and the cursor of the next (older) page."""

    items: list[Delivery]
    next_cursor: str | None


def notification_list(*, cursor: str | None = None, limit: int = 50) -> DeliveryPage:
    """One page of deliveries, newest first (a Query on ``time-index``), after ``cursor``.

    `ValidationError` for a ``limit`` outside 1..`MAX_LIMIT` or a cursor this list did not issue.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
    source = QuerySource(
        "time-index",
        KIND_NOTIFICATION,
        ("notification_id", "kind", "delivered_at"),
        "delivered_at",
        forward=False,
    )
    page = query_page(
        NotificationModel,
        [source],
        scope="notifications|time-index",
        item_key="notification_id",
        limit=limit,
        cursor=cursor or None,
    )
    items = []
    for raw in page.items:
        item = NotificationModel.from_raw_data(raw)
        at = datetime.fromisoformat(item.delivered_at)
        items.append(
            Delivery(
                at=at if at.tzinfo else at.replace(tzinfo=UTC),
                message=dict(item.message or {}),
                channels={str(k): str(v) for k, v in (item.channels or {}).items()},
            )
        )
    return DeliveryPage(items=items, next_cursor=page.next_cursor)


def notification_deliveries_list(*, limit: int = 100) -> list[dict[str, Any]]:
    """The latest ``limit`` deliveries, newest first, as records (``at``, ``message``,
    ``channels``): what `notification_deliver` returned."""
    return [
        {
            "at": d.at.isoformat(timespec="seconds"),
            "message": d.message,
            "channels": d.channels,
        }
        for d in notification_list(limit=limit).items
    ]
