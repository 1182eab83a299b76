"""What the console offers on one execution, on its own page and on its finding's page: whether it
is still in progress (the page then refreshes itself), "Apply" for a dry run that would change
something, "Roll back" for a remediation that can be undone.

Only operators get the actions; "Apply" also needs the console's remediate action enabled
(``CONSOLE_REMEDIATE_ENABLED``). Reads only: the actions themselves are POSTs to
``workflow:remediate`` (`console.findings.views`) and ``workflow:rollback``
(`console.executions.views`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from console.access.roles import has_role
from ouroboros.models import ExecutionModel
from ouroboros.workflow.rollback import execution_can_roll_back

#: Seconds between two refreshes of a page showing a run in progress.
REFRESH_SECONDS = 2
IN_PROGRESS = ("pending", "running")


@dataclass(frozen=True)
class ExecutionActions:
    """The state and the actions of one execution for the current user."""

    in_progress: bool
    rolling_back: bool
    apply_url: str | None
    rollback_url: str | None
    finding_url: str | None


def finding_page_url(finding_id: str | None) -> str | None:
    """The console page of a finding (its id travels in the query)."""
    if not finding_id:
        return None
    return f"{reverse('finding_detail')}?{urlencode({'id': finding_id})}"


def execution_actions(*, request: HttpRequest, execution: ExecutionModel) -> ExecutionActions:
    """See the module docstring."""
    operator = has_role(request.user, "operator")
    rolling_back = bool(execution.rolled_back_by) and execution.status == "succeeded"
    dry_run_to_apply = (
        execution.status == "succeeded"
        and bool(execution.dry_run)
        and bool(execution.changes)
        and bool(execution.finding_id)
    )
    apply_url = None
    if dry_run_to_apply and operator and settings.CONSOLE_REMEDIATE_ENABLED:
        apply_url = reverse("workflow:remediate", args=[execution.finding_id])
    rollback_url = None
    if operator and execution_can_roll_back(execution):
        rollback_url = reverse("workflow:rollback", args=[execution.execution_id])
    return ExecutionActions(
        in_progress=execution.status in IN_PROGRESS or rolling_back,
        rolling_back=rolling_back,
        apply_url=apply_url,
        rollback_url=rollback_url,
        finding_url=finding_page_url(execution.finding_id),
    )
