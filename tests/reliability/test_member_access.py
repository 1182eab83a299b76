"""An expired or missing member role: the execution fails with a clear reason, nothing changes.

The real S3.2 reactor runs behind Lambda Invoke and assumes the member role through
``ouroboros.aws.member_session``; STS (or S3 in the member account) answers with the error.
"""

from __future__ import annotations

import pytest

from lambdas import dispatch_finding
from ouroboros.errors import ReactorExecutionError
from tests.reliability.conftest import Workflow

pytestmark = pytest.mark.functional

ROLE = "arn:aws:iam::222222222222:role/OuroborosMemberRemediationRole"


@pytest.mark.parametrize(
    ("service", "operation", "code", "reason"),
    [
        # the member account has no such role, or it does not trust this account / ExternalId
        ("sts", "AssumeRole", "AccessDenied", f"MemberAccessError: cannot assume {ROLE}: "),
        # the dispatcher's own credentials expired
        ("sts", "AssumeRole", "ExpiredToken", f"MemberAccessError: cannot assume {ROLE}: "),
        # the member session's credentials were revoked or expired mid-run
        ("s3", "GetBucketPolicy", "ExpiredToken", "ExpiredToken"),
        ("s3", "PutBucketPolicy", "AccessDenied", "AccessDenied"),
    ],
)
def test_member_access_errors_fail_the_execution_with_the_reason(
    workflow: Workflow, service: str, operation: str, code: str, reason: str
) -> None:
    fault = workflow.faults.add(service, operation, code=code, status=403, times=None)
    with pytest.raises(ReactorExecutionError) as info:
        dispatch_finding.handler(workflow.item())
    fault.times = fault.injected  # the checks below read the member account unharmed
    assert workflow.faults.sent[(service, operation)] == 1  # an access error is not retried
    [execution] = workflow.executions()
    assert execution.status == "failed"
    assert reason in execution.error and code in execution.error
    assert execution.error in str(info.value)
    assert "PublicRead" in workflow.policy_sids()  # nothing changed in the member account
    assert workflow.hub_statuses() == ["NOTIFIED"]  # never RESOLVED
