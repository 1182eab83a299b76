"""State machine task "Send Notification": open the tickets the item's messages ask for
(`ouroboros.tickets.services.tickets_open`), then publish the messages to the SNS topic."""

from __future__ import annotations

from typing import Any

from ouroboros.notify.outcomes import messages_correlation, messages_of, notification_publish
from ouroboros.observability.logging import function_handler
from ouroboros.tickets.services import tickets_open


@function_handler("send_notification", correlation=messages_correlation)
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return notification_publish(messages=tickets_open(messages=messages_of(event)))
