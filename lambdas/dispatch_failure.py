"""State machine task "Record Dispatch Failure": the Catch input -> a failure message."""

from __future__ import annotations

from typing import Any

from ouroboros.observability.logging import function_handler
from ouroboros.workflow.contracts import TaskOutcome
from ouroboros.workflow.dispatch import dispatch_failure_record, item_correlation


@function_handler("dispatch_failure", correlation=item_correlation)
def handler(event: dict[str, Any], context: Any = None) -> TaskOutcome:
    return dispatch_failure_record(item=event)
