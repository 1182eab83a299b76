"""Console service of findings shared by the page and the API: the core call, then the audit entry.

`finding_remediate` is what ``POST /findings/<id>/remediate/`` (console) and
``POST /api/v1/findings/<id>/remediate`` (API) both call, so a remediation is started and
recorded the same way whichever way an operator asks for it.
"""

from __future__ import annotations

from django.http import HttpRequest

from console.audit.services import audit_record
from ouroboros.workflow.manual import remediation_start


def finding_remediate(*, request: HttpRequest, finding_id: str, dry_run: bool) -> str:
    """Start the workflow for ``finding_id`` on behalf of the request's user; the execution ARN.

    Core errors (`NotFoundError` when Security Hub has no such finding...) propagate and
    nothing is audited.
    """
    arn = remediation_start(
        finding_id=finding_id, actor=request.user.get_username(), dry_run=dry_run
    )
    audit_record(
        request=request,
        action="finding.remediate",
        target_type="finding",
        target_id=finding_id,
        after={"dry_run": dry_run, "execution": arn},
    )
    return arn
