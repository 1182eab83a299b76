"""State machine task "Execute Security Hub Finding Reactor": run one item's reactor once."""

from __future__ import annotations

from typing import Any

from ouroboros.observability.logging import function_handler
from ouroboros.workflow.contracts import TaskOutcome
from ouroboros.workflow.dispatch import finding_dispatch, item_correlation


@function_handler("dispatch_finding", correlation=item_correlation)
def handler(event: dict[str, Any], context: Any = None) -> TaskOutcome:
    return finding_dispatch(item=event)
