"""Scheduled Lambda: collect Security Hub standards and controls into ``security_controls``."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from ouroboros.securityhub.collect_controls import controls_collect

logger = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = asdict(controls_collect())
    logger.info("controls collected: %s", report)
    return report
