"""Write-back to Security Hub: NOTIFIED when a reactor starts, RESOLVED with a note when it fixed.

BatchUpdateFindings emits a new "Findings - Imported" event; the rule only matches Workflow NEW
and parse skips non-NEW findings on events, so the write-back never loops.
"""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from ouroboros.aws import client
from ouroboros.securityhub.asff import NormalizedFinding

logger = logging.getLogger(__name__)

NOTE_AUTHOR = "ouroboros"


def finding_workflow_update(
    *, finding: NormalizedFinding, status: str, note: str | None = None
) -> bool:
    """Set the finding's workflow status (and note); False (logged) when Security Hub refused.

    A failed write-back never undoes or fails a remediation: the execution record is the truth.
    """
    request = {
        "FindingIdentifiers": [{"Id": finding.finding_id, "ProductArn": finding.product_arn}],
        "Workflow": {"Status": status},
    }
    if note:
        request["Note"] = {"Text": note[:512], "UpdatedBy": NOTE_AUTHOR}
    try:
        response = client("securityhub", region=finding.region or None).batch_update_findings(
            **request
        )
    except (ClientError, BotoCoreError) as exc:
        logger.warning("finding %s: workflow %s not written: %s", finding.finding_id, status, exc)
        return False
    unprocessed = response.get("UnprocessedFindings") or []
    if unprocessed:
        logger.warning(
            "finding %s: workflow %s unprocessed: %s", finding.finding_id, status, unprocessed
        )
    return not unprocessed
