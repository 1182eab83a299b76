"""EventBridge "Security Hub Findings - Imported" (ASFF) and "Findings Imported V2" (OCSF): upsert
every finding the event carries.

An event the state machine's rule does not match (only other products' findings) also gets its
impostor findings recorded as skipped with their provenance reason
(`ouroboros.workflow.parse.imported_impostors_record`), so nothing is silently ignored.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ouroboros.observability.logging import function_handler, function_logger
from ouroboros.securityhub.collect_findings import finding_imported
from ouroboros.workflow.parse import imported_impostors_record

logger = function_logger()


@function_handler("finding_imported")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        report = asdict(finding_imported(event=event))
    finally:
        skipped = imported_impostors_record(event=event)
    report["impostors_skipped"] = skipped
    logger.info("imported event %s: %s", event.get("id"), report)
    return report
