"""Scheduled Lambda: sync Security Hub findings (incremental; ``{"full": true}`` for everything)."""

from __future__ import annotations

import logging
from typing import Any

from ouroboros.securityhub.collect_findings import findings_collect

logger = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    full = bool(event.get("full")) if isinstance(event, dict) else False
    return findings_collect(full=full).as_dict()
