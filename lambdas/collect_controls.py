"""Scheduled Lambda: collect Security Hub standards and controls into ``security_controls``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ouroboros.observability.logging import function_handler, function_logger
from ouroboros.securityhub.collect_controls import controls_collect

logger = function_logger()


@function_handler("collect_controls")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = asdict(controls_collect())
    logger.info("controls collected: %s", report)
    return report
