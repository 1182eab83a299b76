"""Console service of executions: the rollback an operator asks for (the core call, then the audit
entry). ``POST /executions/<id>/rollback/`` (console) and ``POST /api/v1/executions/<id>/rollback``
(API) both call it, so a rollback is asked for and recorded the same way whichever way it comes.
"""

from __future__ import annotations

from django.http import HttpRequest

from console.audit.services import audit_record
from ouroboros.models import ExecutionModel
from ouroboros.workflow.rollback import execution_rollback_start


def execution_rollback_audited(*, request: HttpRequest, execution_id: str) -> ExecutionModel:
    """Ask for the rollback of ``execution_id`` on behalf of the request's user (audited); the
    rollback's execution, ``pending``: the workflow runs it (`ouroboros.workflow.rollback`).

    Core errors (`ConflictError` when there is nothing to roll back or it is already rolled back)
    propagate and nothing is audited.
    """
    rollback = execution_rollback_start(
        execution_id=execution_id, actor=request.user.get_username()
    )
    audit_record(
        request=request,
        action="execution.rollback",
        target_type="execution",
        target_id=execution_id,
        after={"rollback": rollback.execution_id, "status": rollback.status},
    )
    return rollback
