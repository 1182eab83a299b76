"""Send Notification: one message per outcome, published to the notification SNS topic.

A message is a small JSON object (no secrets, no raw finding): the execution id, status, finding,
control, account, region, resource, reactor, trigger, actor, dry-run flag, number of changes,
and the error when it failed. The topic's subscriber (`ouroboros.notify.delivery`) formats it
for each chat channel.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.models import ExecutionModel


def outcome_message(*, execution: ExecutionModel) -> dict[str, Any]:
    """The notification message of one execution."""
    return {
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


@lru_cache(maxsize=4)
def _account() -> str:
    return str(client("sts").get_caller_identity()["Account"])


def topic_arn() -> str:
    """The notification topic's ARN, in this account and region (bootstrap creates the topic;
    the local runtime's workflow extension does locally). No sns:CreateTopic needed."""
    config = get_config()
    return f"arn:aws:sns:{config.region}:{_account()}:{config.notification_topic_name}"


def notification_publish(*, messages: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Publish each message; returns ``{"published": n, "message_ids": [...]}``."""
    if not messages:
        return {"published": 0, "message_ids": []}
    arn = topic_arn()
    sns = client("sns")
    ids = []
    for message in messages:
        subject = f"Ouroboros {message.get('status')}: {message.get('control_id')}"[:100]
        response = sns.publish(
            TopicArn=arn, Subject=subject, Message=json.dumps(message, default=str)
        )
        ids.append(response["MessageId"])
    return {"published": len(ids), "message_ids": ids}
