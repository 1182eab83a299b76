"""Console service of bulk actions on findings, shared by the findings page and the API.

`finding_bulk` resolves the selection (ids, or every finding a filter of the list matches, capped
at `ouroboros.findings.bulk.MAX_SELECTION`), runs ONE core action of `ouroboros.findings.bulk`
and writes ONE audit entry (``finding.bulk``) whose ``after`` lists every member with its
outcome. That entry is also what the summary page (`console.findings.bulk_views`) shows, so the
summary and the trail never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.http import HttpRequest

from console.audit.models import AuditEntry
from console.audit.services import audit_record
from ouroboros.errors import ValidationError
from ouroboros.findings.bulk import (
    MAX_SELECTION,
    BulkAction,
    BulkResult,
    finding_ids_matching,
    findings_bulk_exempt,
    findings_bulk_run,
    findings_bulk_workflow,
)
from ouroboros.findings.selectors import FindingFilters

AUDIT_ACTION = "finding.bulk"
ACTION_LABELS = {
    "dry_run": "Dry run",
    "remediate": "Remediate",
    "workflow": "Set workflow status",
    "exempt": "Add an exemption",
}


def _selection(
    finding_ids: Sequence[str] | None, filters: FindingFilters | None
) -> tuple[list[str], bool]:
    if (finding_ids is None) == (filters is None):
        raise ValidationError("Select findings, or all the findings matching a filter.")
    if filters is None:
        return list(finding_ids or []), False
    ids, truncated = finding_ids_matching(filters=filters)
    if not ids:
        raise ValidationError("No findings match this filter: nothing was done.")
    return ids, truncated


def finding_bulk(
    *,
    request: HttpRequest,
    action: BulkAction,
    finding_ids: Sequence[str] | None = None,
    filters: FindingFilters | None = None,
    status: str = "",
    note: str = "",
    expires_at: datetime | None = None,
) -> tuple[BulkResult, AuditEntry]:
    """Run ``action`` on the selection for the request's user; the result and its audit entry.

    Core errors (`ValidationError` for a bad selection, status or note...) propagate and
    nothing is audited.
    """
    ids, truncated = _selection(finding_ids, filters)
    actor = request.user.get_username()
    if action in ("dry_run", "remediate"):
        result = findings_bulk_run(finding_ids=ids, actor=actor, dry_run=action == "dry_run")
    elif action == "workflow":
        result = findings_bulk_workflow(finding_ids=ids, status=status, note=note, actor=actor)
    elif action == "exempt":
        result = findings_bulk_exempt(
            finding_ids=ids, reason=note, actor=actor, expires_at=expires_at
        )
    else:
        raise ValidationError(f"Unknown bulk action {action!r}.")
    result.truncated = truncated
    after: dict[str, Any] = {
        "action": action,
        "selection": "filter" if filters is not None else "ids",
        "filter": filters,
        "truncated": truncated,
        "cap": MAX_SELECTION,
        "status": status if action == "workflow" else None,
        "note": note or None,
        "expires_at": expires_at,
        "counts": result.counts(),
        "executions": result.executions,
        "members": result.members,
    }
    entry = audit_record(
        request=request,
        action=AUDIT_ACTION,
        target_type="finding",
        target_id=f"{len(result.members)} findings",
        after=after,
    )
    return result, entry
