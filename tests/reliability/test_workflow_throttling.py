"""Throttling on every AWS call of the remediation workflow is retried, and nothing is lost.

Each case throttles one operation twice (with the error code its service really answers) while
the real Parse -> Dispatch -> Send Notification handlers run on a real finding. botocore's retry
handler must send it again: the remediation happens exactly once, the execution is recorded,
Security Hub gets NOTIFIED then RESOLVED, and one notification is published. Without the retry
configuration (``ouroboros.aws.RETRY_CONFIG`` and PynamoDB's ``max_retry_attempts``) every case
fails with the throttling error.
"""

from __future__ import annotations

from typing import Any

import pytest

from lambdas import dispatch_finding, parse_finding, send_notification
from tests.reliability.conftest import Workflow

pytestmark = pytest.mark.functional

#: (service, operation) of every AWS call one remediation makes, and who makes it.
WORKFLOW_CALLS = [
    ("dynamodb", "GetItem"),  # Parse: control, reactor; the rate limiter's bucket
    ("dynamodb", "PutItem"),  # Dispatch: idempotency marker, execution records
    ("dynamodb", "UpdateItem"),  # Dispatch: rate token, the finding's last remediation
    ("dynamodb", "Query"),  # the harness reads executions (a reader's query is retried too)
    ("lambda", "Invoke"),  # Dispatch invokes the reactor
    ("sts", "AssumeRole"),  # the reactor assumes the member role
    ("s3", "GetBucketPolicy"),  # the reactor reads the bucket policy
    ("s3", "PutBucketPolicy"),  # ... and writes it back without the public statement
    ("securityhub", "BatchUpdateFindings"),  # Dispatch: NOTIFIED, RESOLVED
    ("sts", "GetCallerIdentity"),  # Send Notification: the topic's account
    ("sns", "Publish"),  # Send Notification
]


def remediate(workflow: Workflow) -> list[dict[str, Any]]:
    """Run Parse, then Dispatch and Send Notification for each item; the notify results."""
    items = parse_finding.handler(workflow.event())["items"]
    published = []
    for item in items:
        result = dispatch_finding.handler(item)["result"]
        published.append(send_notification.handler(result))
    return published


def assert_remediated_once(workflow: Workflow, published: list[dict[str, Any]]) -> None:
    assert workflow.policy_sids() == ["OwnerFullAccess"]
    assert len(workflow.invocations) == 1  # the reactor ran once
    succeeded = workflow.executions("succeeded")
    assert len(succeeded) == 1 and succeeded[0].changes
    assert workflow.hub_statuses() == ["NOTIFIED", "RESOLVED"]
    assert [p["published"] for p in published] == [1]


def test_without_faults_the_finding_is_remediated_once(workflow: Workflow) -> None:
    published = remediate(workflow)
    assert_remediated_once(workflow, published)
    sent = workflow.faults.sent
    # Every call the throttling cases target is made on this path (the list stays complete).
    missing = [call for call in WORKFLOW_CALLS if sent[call] == 0 and call[1] != "Query"]
    assert missing == []


@pytest.mark.parametrize(("service", "operation"), WORKFLOW_CALLS)
def test_throttling_is_retried_and_the_finding_remediated_once(
    workflow: Workflow, service: str, operation: str
) -> None:
    fault = workflow.faults.throttle(service, operation, times=2)
    published = remediate(workflow)
    if operation == "Query":
        workflow.executions()  # the reader below retries too
    assert fault.injected == 2, f"{service}.{operation} was never throttled"
    assert workflow.faults.sent[(service, operation)] >= 3  # sent again after each throttle
    assert_remediated_once(workflow, published)
