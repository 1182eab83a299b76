"""EventBridge "Security Hub Findings - Imported": upsert every finding the event carries."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from ouroboros.securityhub.collect_findings import finding_imported

logger = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = asdict(finding_imported(event=event))
    logger.info("imported event %s: %s", event.get("id"), report)
    return report
