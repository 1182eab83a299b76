"""Scenarios of ``sqs-queue-encryption`` for the harness (`reactor_sdk.testing`): SQS.1."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def plain_queue(session: boto3.Session, account_id: str) -> Target:
    """A queue with neither SSE-SQS nor SSE-KMS."""
    sqs = session.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="orders", Attributes={"SqsManagedSseEnabled": "false"})
    attributes = sqs.get_queue_attributes(QueueUrl=url["QueueUrl"], AttributeNames=["QueueArn"])
    return Target(attributes["Attributes"]["QueueArn"], "AwsSqsQueue")


def queue_encryption(session: boto3.Session, target: Target) -> Any:
    """The queue's encryption attributes (absent or empty: None)."""
    sqs = session.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=target.resource_id.rsplit(":", 1)[-1])["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return {k: attributes.get(k) or None for k in ("SqsManagedSseEnabled", "KmsMasterKeyId")}


def sse_sqs(value: Any) -> bool:
    """SQS-managed encryption is on."""
    return value["SqsManagedSseEnabled"] == "true"


def sse_kms(key: str) -> Any:
    """The ``fixed`` test for a queue that must use the KMS key ``key``."""
    return lambda value: value["KmsMasterKeyId"] == key


#: No SQS.1 sample exists: the real S3.2 sample, pointed at the queue.
SAMPLE = "asff_findings/asr_afsbp_s3.2.json"

SCENARIOS = [
    Scenario("SQS.1", SAMPLE, plain_queue, queue_encryption, sse_sqs),
    Scenario(
        "SQS.1",
        SAMPLE,
        plain_queue,
        queue_encryption,
        sse_kms("alias/aws/sqs"),
        params={"kms_key_id": "alias/aws/sqs"},
        name="kms-key",
    ),
]
