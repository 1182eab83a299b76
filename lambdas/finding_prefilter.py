"""EventBridge "Findings - Imported" rule (ASFF and V2) -> the pre-filter: start the remediation
workflow only for the findings that need it, count the others as skipped
(`ouroboros.workflow.prefilter`)."""

from __future__ import annotations

from typing import Any

from ouroboros.observability.logging import function_handler, function_logger
from ouroboros.workflow.prefilter import imported_prefilter

logger = function_logger()


@function_handler("finding_prefilter")
def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    report = imported_prefilter(event=event).as_dict()
    logger.info("imported event %s pre-filtered: %s", event.get("id"), report)
    return report
