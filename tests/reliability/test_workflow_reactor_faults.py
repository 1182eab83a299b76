"""A reactor that raises, times out, or whose answer is lost: recorded, never run twice.

The real Dispatch and Record Dispatch Failure handlers run; the reactor is the real S3.2 reactor
(or one that raises) behind the harness's Lambda Invoke.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ReadTimeoutError

from emulator.caller import reactor_key, running_as
from lambdas import dispatch_failure, dispatch_finding, send_notification
from ouroboros.errors import ReactorExecutionError, ThrottledError
from ouroboros.models import ExecutionModel
from tests.reliability.conftest import REACTOR_ID, Workflow
from tests.reliability.faults import json_response

pytestmark = pytest.mark.functional


def catch_input(item: dict[str, Any], exc: Exception) -> dict[str, Any]:
    """What the state machine's Catch hands to Record Dispatch Failure."""
    cause = {"errorMessage": str(exc), "errorType": type(exc).__name__}
    return {**item, "error": {"Error": type(exc).__name__, "Cause": json.dumps(cause)}}


def dispatch_then_catch(workflow: Workflow, item: dict[str, Any]) -> tuple[Exception, dict]:
    with pytest.raises(Exception) as info:
        dispatch_finding.handler(item)
    failure = dispatch_failure.handler(catch_input(item, info.value))["result"]
    return info.value, failure


def test_a_reactor_that_raises_is_recorded_failed_with_its_error(workflow: Workflow) -> None:
    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise PermissionError("s3:PutBucketPolicy denied by an SCP")

    workflow.reactor = broken
    error, failure = dispatch_then_catch(workflow, workflow.item())
    assert isinstance(error, ReactorExecutionError)
    [execution] = workflow.executions()
    assert execution.status == "failed"
    assert execution.error == "PermissionError: s3:PutBucketPolicy denied by an SCP"
    # Record Dispatch Failure reuses the execution the dispatch recorded (no second record).
    assert [m["execution_id"] for m in failure["messages"]] == [execution.execution_id]
    assert failure["messages"][0]["status"] == "failed"
    assert send_notification.handler(failure)["published"] == 1
    assert workflow.hub_statuses() == ["NOTIFIED"]  # never RESOLVED
    assert "PublicRead" in workflow.policy_sids()


def test_a_reactor_lambda_timeout_is_recorded_failed(workflow: Workflow) -> None:
    def timed_out(request: AWSPreparedRequest) -> AWSResponse:
        body = {"errorMessage": "2026-11-27T10:00:00Z abc Task timed out after 60.00 seconds"}
        return json_response(
            request, json.dumps(body).encode(), **{"X-Amz-Function-Error": "Unhandled"}
        )

    workflow.faults.respond("lambda", "Invoke", timed_out)
    error, _ = dispatch_then_catch(workflow, workflow.item())
    assert isinstance(error, ReactorExecutionError)
    [execution] = workflow.executions()
    assert execution.status == "failed" and "Task timed out" in execution.error
    assert workflow.hub_statuses() == ["NOTIFIED"]


def test_a_lost_answer_never_runs_the_reactor_twice(workflow: Workflow) -> None:
    """The reactor ran, but its answer never came back (the client's read timed out): botocore
    must not send the Invoke again, or the remediation runs twice."""
    runs: list[dict[str, Any]] = []

    def ran_then_lost(request: AWSPreparedRequest) -> AWSResponse:
        runs.append(json.loads(request.body or b"{}"))
        with running_as(reactor_key(REACTOR_ID)):  # as the local Lambda runner runs it
            workflow.reactor(runs[-1], None)
        raise ReadTimeoutError(endpoint_url=request.url)

    workflow.faults.respond("lambda", "Invoke", ran_then_lost)
    error, failure = dispatch_then_catch(workflow, workflow.item())
    assert len(runs) == 1  # not retried
    assert isinstance(error, ReactorExecutionError)
    [execution] = workflow.executions()
    assert execution.status == "failed"
    assert "did not answer" in execution.error and "not invoked again" in execution.error
    assert failure["messages"][0]["execution_id"] == execution.execution_id


def test_a_server_error_after_the_reactor_ran_is_not_retried(workflow: Workflow) -> None:
    workflow.faults.add("lambda", "Invoke", code="ServiceException", status=500, times=None)
    error, _ = dispatch_then_catch(workflow, workflow.item())
    assert workflow.faults.sent[("lambda", "Invoke")] == 1
    assert isinstance(error, ReactorExecutionError) and "ServiceException" in str(error)


def test_invoke_throttled_past_the_retries_is_retryable_and_claimable_again(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lambda refused the invocation (nothing ran): the state machine retries ThrottledError,
    and that retry must be able to claim the finding again."""
    from ouroboros.workflow import dispatch

    monkeypatch.setattr(dispatch, "INVOKE_THROTTLE_DELAYS", (0.0, 0.0))
    fault = workflow.faults.throttle("lambda", "Invoke", times=3)
    item = workflow.item()
    with pytest.raises(ThrottledError) as info:
        dispatch_finding.handler(item)
    assert fault.injected == 3 and workflow.invocations == []
    # The state machine retries: the reactor runs once, the finding is fixed.
    result = dispatch_finding.handler(item)["result"]
    assert result["status"] == "succeeded" and len(workflow.invocations) == 1
    assert workflow.policy_sids() == ["OwnerFullAccess"]
    statuses = sorted(e.status for e in workflow.executions())
    assert statuses == ["failed", "succeeded"]
    throttled = next(e for e in workflow.executions() if e.status == "failed")
    assert throttled.error.startswith("ThrottledError: Lambda throttled")
    assert f"[execution {throttled.execution_id}]" in str(info.value)  # the Catch finds it


def test_an_unparseable_finding_before_any_record_is_recorded_by_the_catch(
    workflow: Workflow,
) -> None:
    item = workflow.item(finding={"Id": "x"})
    error, failure = dispatch_then_catch(workflow, item)
    [message] = failure["messages"]
    assert message["status"] == "failed" and type(error).__name__ in message["error"]
    stored = ExecutionModel.get(message["execution_id"])
    assert stored.error_type == type(error).__name__
    assert workflow.invocations == []
