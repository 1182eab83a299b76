"""``sns-topic-policy-private`` beyond its scenario: what counts as public, and a rollback
refused when the policy changed after the remediation.

The harness runs the SNS.4 scenario (an unconditional public statement beside SNS's default).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from lambdas.reactors.sns_topic_policy_private.reactor import handler, is_public
from lambdas.reactors.sns_topic_policy_private.scenarios import (
    SCENARIOS,
    public_topic,
    topic_policy,
)
from reactor_sdk import ReactorRollbackError
from tests.lambdas.reactors.conftest import rollback, run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional

ANYONE: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "SNS:Publish"}


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        (ANYONE, True),
        ({**ANYONE, "Principal": "*"}, True),
        ({**ANYONE, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}, False),
        ({**ANYONE, "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}}}, False),
        # A negated or optional condition ties nothing down.
        ({**ANYONE, "Condition": {"StringNotEquals": {"aws:SourceAccount": "1"}}}, True),
        ({**ANYONE, "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "1"}}}, True),
        ({**ANYONE, "Effect": "Deny"}, False),
        ({**ANYONE, "Principal": {"AWS": "arn:aws:iam::111122223333:root"}}, False),
    ],
)
def test_what_counts_as_public(statement: dict[str, Any], public: bool) -> None:
    assert is_public(statement) is public


def test_rollback_leaves_a_policy_changed_since(member: boto3.Session) -> None:
    target = public_topic(member, MEMBER)
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)
    done = run(handler, finding)
    changed = topic_policy(member, target)
    changed["Statement"][0]["Sid"] = "EditedAfterwards"
    member.client("sns").set_topic_attributes(
        TopicArn=target.resource_id, AttributeName="Policy", AttributeValue=json.dumps(changed)
    )

    with pytest.raises(ReactorRollbackError, match="changed after the remediation"):
        rollback(handler, finding, done)
    assert topic_policy(member, target) == changed
