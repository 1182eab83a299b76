"""State machine task "Send Notification": publish the item's messages to the SNS topic."""

from __future__ import annotations

from typing import Any

from ouroboros.notify.outcomes import messages_correlation, messages_of, notification_publish
from ouroboros.observability.logging import function_handler


@function_handler("send_notification", correlation=messages_correlation)
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return notification_publish(messages=messages_of(event))
