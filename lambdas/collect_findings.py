"""Scheduled Lambda: sync Security Hub findings (incremental; ``{"full": true}`` for everything).

``GetFindings`` (ASFF), ``GetFindingsV2`` (OCSF) or both, as ``OUROBOROS_SECURITYHUB_V2`` says.
A sync longer than one invocation stops before the invocation's time runs out and the next
scheduled run resumes it from its checkpoint (`ouroboros.securityhub.collect_checkpoint`).
"""

from __future__ import annotations

from typing import Any

from ouroboros.observability.logging import function_handler, function_logger
from ouroboros.securityhub.collect_findings import findings_collect

logger = function_logger()


@function_handler("collect_findings")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    full = bool(event.get("full")) if isinstance(event, dict) else False
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    time_left = (lambda: remaining() / 1000) if callable(remaining) else None
    return findings_collect(full=full, time_left=time_left).as_dict()
