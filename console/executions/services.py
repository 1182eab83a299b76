"""Console service of executions: the rollback an operator asks for (the core call, then the audit
entry); ``POST /executions/<id>/rollback/`` calls it.
"""

from __future__ import annotations

from django.http import HttpRequest

from console.audit.services import audit_record
from ouroboros.models import ExecutionModel
from ouroboros.workflow.manual import execution_rollback


def execution_rollback_audited(*, request: HttpRequest, execution_id: str) -> ExecutionModel:
    """Roll back ``execution_id`` on behalf of the request's user (audited); the rollback."""
    rollback = execution_rollback(execution_id=execution_id, actor=request.user.get_username())
    audit_record(
        request=request,
        action="execution.rollback",
        target_type="execution",
        target_id=execution_id,
        after={"rollback": rollback.execution_id, "status": rollback.status},
    )
    return rollback
