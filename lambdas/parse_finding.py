"""State machine task "Parse Security Hub Finding": an event -> ``{"items": [...]}``."""

from __future__ import annotations

from typing import Any

from ouroboros.workflow.contracts import ParseOutput
from ouroboros.workflow.parse import event_parse


def handler(event: dict[str, Any], context: Any = None) -> ParseOutput:
    return event_parse(event=event)
