"""Scenarios of ``sns-topic-encryption`` for the harness (`reactor_sdk.testing`): SNS.1."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def plain_topic(session: boto3.Session, account_id: str) -> Target:
    """A topic without encryption at rest."""
    arn = session.client("sns", region_name="us-east-1").create_topic(Name="alerts")["TopicArn"]
    return Target(str(arn), "AwsSnsTopic")


def topic_key(session: boto3.Session, target: Target) -> Any:
    """The topic's KMS key, or None when it is not encrypted."""
    sns = session.client("sns", region_name="us-east-1")
    attributes = sns.get_topic_attributes(TopicArn=target.resource_id)["Attributes"]
    return attributes.get("KmsMasterKeyId") or None


def encrypted(key: Any) -> bool:
    """The control passes when the topic has a KMS key."""
    return bool(key)


def encrypted_with(wanted: str) -> Any:
    """The ``fixed`` test for a topic that must use the ``wanted`` key."""
    return lambda key: key == wanted


#: No SNS.1 sample exists: the real S3.2 sample, pointed at the topic.
SAMPLE = "asff_findings/asr_afsbp_s3.2.json"

SCENARIOS = [
    Scenario("SNS.1", SAMPLE, plain_topic, topic_key, encrypted_with("alias/aws/sns")),
    Scenario(
        "SNS.1",
        SAMPLE,
        plain_topic,
        topic_key,
        encrypted_with("alias/team"),
        params={"kms_key_id": "alias/team"},
        name="custom-key",
    ),
]
