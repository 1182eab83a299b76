"""Send Notification: one message per outcome, published to the notification SNS topic.

A message is a small JSON object (no secrets, no raw finding): the execution id, status, finding,
control, account, region, resource, reactor, trigger, actor, dry-run flag, number of changes,
the error when it failed, the correlation id of the finding's log lines, and, when the console's
address is configured (``OUROBOROS_CONSOLE_URL``), the link to the execution's page. The topic's
subscriber (`ouroboros.notify.delivery`) formats it for each chat channel.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import ValidationError
from ouroboros.executions.links import execution_link
from ouroboros.models import ExecutionModel
from ouroboros.observability.logging import correlation_keys

logger = logging.getLogger(__name__)


def outcome_message(
    *, execution: ExecutionModel, correlation_id: str | None = None
) -> dict[str, Any]:
    """The notification message of one execution (with the ``correlation_id`` of its log lines,
    `ouroboros.observability.logging`, when given)."""
    message = {
        "execution_id": execution.execution_id,
        "status": execution.status,
        "finding_id": execution.finding_id,
        "control_id": execution.control_id,
        "account_id": execution.account_id,
        "region": execution.region,
        "resource_id": execution.resource_id,
        "reactor_id": execution.reactor_id,
        "reactor_version": execution.reactor_version,
        "trigger": execution.trigger,
        "actor": execution.actor,
        "dry_run": bool(execution.dry_run),
        "changes": len(execution.changes or []),
        "error": execution.error,
    }
    if correlation_id:
        message["correlation_id"] = correlation_id
    if get_config().console_url:
        message["execution_url"] = execution_link(execution.execution_id)
    return message


def message_correlation(message: Mapping[str, Any]) -> dict[str, str]:
    """The correlation keys of a notification message, for its log lines."""
    return correlation_keys(**{**message, "account": message.get("account_id")})


#: SNS Publish accepts up to 256 KiB per message.
SNS_MESSAGE_MAX = 256 * 1024


def _subject(message: Mapping[str, Any]) -> str:
    """SNS subjects are printable ASCII without line breaks, at most 100 characters."""
    text = f"Ouroboros {message.get('status')}: {message.get('control_id')}"
    return "".join(c if " " <= c <= "~" else "?" for c in text)[:100]


@lru_cache(maxsize=4)
def _account() -> str:
    return str(client("sts").get_caller_identity()["Account"])


def topic_arn() -> str:
    """The notification topic's ARN, in this account and region (bootstrap creates the topic;
    the local runtime's workflow extension does locally). No sns:CreateTopic needed."""
    config = get_config()
    return f"arn:aws:sns:{config.region}:{_account()}:{config.notification_topic_name}"


def messages_correlation(event: Any) -> dict[str, str]:
    """The correlation keys of a Send Notification input: its first message's (one item's
    messages, as the state machine sends them); none of a malformed input."""
    messages = event.get("messages") if isinstance(event, Mapping) else None
    first = messages[0] if isinstance(messages, list) and messages else None
    return message_correlation(first) if isinstance(first, Mapping) else {}


def messages_of(event: Any) -> list[dict[str, Any]]:
    """The ``messages`` of a Send Notification input; `ValidationError` when malformed."""
    if not isinstance(event, Mapping):
        raise ValidationError("input: expected an object with messages")
    messages = event.get("messages") or []
    if not isinstance(messages, list) or not all(isinstance(m, Mapping) for m in messages):
        raise ValidationError("messages: expected a list of objects")
    return [dict(m) for m in messages]


def notification_publish(*, messages: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Publish each message; returns ``{"published": n, "message_ids": [...]}``.

    `ValidationError` (before publishing anything) when a message exceeds SNS's size limit.
    """
    if not messages:
        return {"published": 0, "message_ids": []}
    bodies = [json.dumps(message, default=str) for message in messages]
    too_big = [i for i, body in enumerate(bodies) if len(body.encode()) > SNS_MESSAGE_MAX]
    if too_big:
        raise ValidationError(f"messages {too_big}: larger than SNS's {SNS_MESSAGE_MAX} bytes")
    arn = topic_arn()
    sns = client("sns")
    ids = []
    for message, body in zip(messages, bodies, strict=True):
        subject = _subject(message)
        response = sns.publish(TopicArn=arn, Subject=subject, Message=body)
        ids.append(response["MessageId"])
        logger.info(
            "notification %s published: %s",
            response["MessageId"],
            message.get("status"),
            extra=message_correlation(message),
        )
    return {"published": len(ids), "message_ids": ids}
