"""SNS subscriber of the notification topic: post to WeChat Work, Slack and webhooks."""

from __future__ import annotations

from typing import Any

from ouroboros.notify.delivery import sns_event_deliver
from ouroboros.observability.logging import function_handler


@function_handler("notify_subscriber")
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return {"delivered": len(sns_event_deliver(event=event))}
