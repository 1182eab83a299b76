"""State machine task "Parse Security Hub Finding": an event -> ``{"items": [...]}``."""

from __future__ import annotations

from typing import Any

from ouroboros.errors import ThrottledError
from ouroboros.observability.logging import function_handler
from ouroboros.observability.metrics import WORKFLOW_FAILURES, metric_record
from ouroboros.workflow.contracts import ParseOutput
from ouroboros.workflow.parse import event_parse


@function_handler("parse_finding")
def handler(event: dict[str, Any], context: Any = None) -> ParseOutput:
    try:
        return event_parse(event=event)
    except ThrottledError:  # the state machine retries it
        raise
    except Exception:  # the execution ends in "Parse Failed"
        metric_record(WORKFLOW_FAILURES)
        raise
