"""State machine task "Record Dispatch Failure": the Catch input -> a failure message."""

from __future__ import annotations

from typing import Any

from ouroboros.workflow.contracts import TaskOutcome
from ouroboros.workflow.dispatch import dispatch_failure_record


def handler(event: dict[str, Any], context: Any = None) -> TaskOutcome:
    return dispatch_failure_record(item=event)
