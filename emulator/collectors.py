"""Local runtime extension: the collectors on the scheduler, Imported events into DynamoDB.

On AWS, EventBridge schedules run the two collector Lambdas and a rule sends every "Security Hub
Findings - Imported" and "Findings Imported V2" event to ``lambdas.finding_imported``. Locally
this extension does the same: it registers `controls_collect` and `findings_collect`
(incremental) with the runtime's scheduler (``OUROBOROS_LOCAL_SCHEDULE_SECONDS``, first run
about a second after start) and subscribes
the ``finding_imported`` function's handler to the local bus (the same code as on AWS: it
also records a lone impostor finding as skipped), so a finding imported or updated in the local
Security Hub (including Ouroboros's own NOTIFIED / RESOLVED write-backs) reaches
``security_findings`` at once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from emulator.bus import bus_subscribe
from emulator.caller import running_as
from emulator.scheduler import scheduled_job_register
from lambdas.finding_imported import handler as finding_imported_handler
from ouroboros.securityhub.collect_controls import controls_collect
from ouroboros.securityhub.collect_findings import findings_collect

if TYPE_CHECKING:
    from emulator.runtime import LocalRuntime

logger = logging.getLogger(__name__)

IMPORTED_PATTERN = {
    "source": ["aws.securityhub"],
    "detail-type": ["Security Hub Findings - Imported", "Findings Imported V2"],
}


def _imported(event: dict[str, Any]) -> None:
    with running_as("finding_imported"):
        report = finding_imported_handler(event, None)
    logger.debug("imported event %s: %s", event.get("id"), report)


class CollectorsExtension:
    """Registers the collectors' schedule and the Imported-event path (see the module docstring)."""

    name = "collectors"

    def start(self, runtime: LocalRuntime) -> None:
        scheduled_job_register(
            "collect_controls", lambda: controls_collect(), function="collect_controls"
        )
        scheduled_job_register(
            "collect_findings", lambda: findings_collect(), function="collect_findings"
        )
        bus_subscribe(name="finding-imported", pattern=IMPORTED_PATTERN, callback=_imported)

    def stop(self) -> None:
        """Nothing to release: the bus and the scheduler stop their own subscriptions and jobs."""
