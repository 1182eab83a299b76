"""State machine task "Execute Security Hub Finding Reactor": run one item's reactor once."""

from __future__ import annotations

from typing import Any

from ouroboros.workflow.contracts import TaskOutcome
from ouroboros.workflow.dispatch import finding_dispatch


def handler(event: dict[str, Any], context: Any = None) -> TaskOutcome:
    return finding_dispatch(item=event)
