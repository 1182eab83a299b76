"""Scheduled Lambda: sync Security Hub findings (incremental; ``{"full": true}`` for everything).

``GetFindings`` (ASFF), ``GetFindingsV2`` (OCSF) or both, as ``OUROBOROS_SECURITYHUB_V2`` says.
"""

from __future__ import annotations

from typing import Any

from ouroboros.observability.logging import function_handler, function_logger
from ouroboros.securityhub.collect_findings import findings_collect

logger = function_logger()


@function_handler("collect_findings")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    full = bool(event.get("full")) if isinstance(event, dict) else False
    return findings_collect(full=full).as_dict()
