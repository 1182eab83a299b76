"""SQS.1 reactor: a member account's queue encrypted at rest."""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.sqs_queue_encryption.reactor import handler
from tests.lambdas.reactors.conftest import rollback, run
from tests.reactor_support import MEMBER, member_finding

pytestmark = pytest.mark.functional


def _queue(member: boto3.Session) -> tuple[str, str]:
    sqs = member.client("sqs")
    url = sqs.create_queue(QueueName="orders", Attributes={"SqsManagedSseEnabled": "false"})[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def _finding(arn: str) -> dict:
    # No SQS.1 sample exists: the real S3.2 sample, pointed at this control and queue.
    return member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_type="AwsSqsQueue",
        resource_id=arn,
        control_id="SQS.1",
    )


def _encryption(member: boto3.Session, url: str) -> dict:
    attributes = member.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    return {k: attributes["Attributes"].get(k) for k in ("SqsManagedSseEnabled", "KmsMasterKeyId")}


def test_sse_sqs_is_turned_on_and_off(member: boto3.Session, caller: boto3.Session) -> None:
    url, arn = _queue(member)
    assert arn.split(":")[4] == MEMBER
    result = run(handler, _finding(arn))
    assert _encryption(member, url)["SqsManagedSseEnabled"] == "true"
    assert "QueueUrls" not in caller.client("sqs").list_queues()
    assert run(handler, _finding(arn))["status"] == "unchanged"
    rollback(handler, _finding(arn), result)
    assert _encryption(member, url) == {"SqsManagedSseEnabled": "false", "KmsMasterKeyId": None}


def test_kms_key_parameter_and_dry_run(member: boto3.Session) -> None:
    url, arn = _queue(member)
    result = run(handler, _finding(arn), dry_run=True, params={"kms_key_id": "alias/aws/sqs"})
    assert result["status"] == "would_change"
    assert _encryption(member, url)["KmsMasterKeyId"] is None
    run(handler, _finding(arn), params={"kms_key_id": "alias/aws/sqs"})
    assert _encryption(member, url)["KmsMasterKeyId"] == "alias/aws/sqs"
