"""Scenarios of ``sns-topic-policy-private`` for the harness (`reactor_sdk.testing`): SNS.4."""

from __future__ import annotations

import json
from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def public_topic(session: boto3.Session, account_id: str) -> Target:
    sns = session.client("sns")
    arn = sns.create_topic(Name="alerts")["TopicArn"]
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    policy["Statement"].append(
        {
            "Sid": "AnyonePublishes",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "SNS:Publish",
            "Resource": arn,
        }
    )
    sns.set_topic_attributes(
        TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy)
    )
    return Target(arn, "AwsSnsTopic")


def topic_policy(session: boto3.Session, target: Target) -> Any:
    found = session.client("sns").get_topic_attributes(TopicArn=target.resource_id)
    return json.loads(found["Attributes"]["Policy"])


def _private(policy: Any) -> bool:
    sids = [s.get("Sid") for s in policy["Statement"]]
    # The public statement is gone; the owner-only default statement stays.
    return sids == ["__default_statement_ID"]


SCENARIOS = [
    Scenario("SNS.4", "asff_findings/asr_afsbp_s3.2.json", public_topic, topic_policy, _private),
]
