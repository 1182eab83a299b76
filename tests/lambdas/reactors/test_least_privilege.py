"""The harness's least-privilege judge on calls it could not name a resource for (no AWS)."""

from __future__ import annotations

import json

import pytest

from tests.lambdas.reactors.least_privilege import MemberCall, calls_judge

ROLE = "arn:aws:iam::222222222222:role/OuroborosMemberRemediationRole"
GROUP = "arn:aws:ec2:us-east-1:222222222222:security-group/sg-0123456789abcdef0"


def _call(operation: str, *resources: str, action: str = "") -> MemberCall:
    statement = {"Effect": "Allow", "Action": [action or f"ec2:{operation}"]}
    policy = {"Version": "2012-10-17", "Statement": [{**statement, "Resource": list(resources)}]}
    return MemberCall("ec2", operation, {}, "us-east-1", ROLE, json.dumps(policy))


@pytest.mark.parametrize(
    ("declared", "allowed"),
    [("arn:aws:ec2:*:*:security-group/*", True), ("arn:aws:ec2:*:*:instance/*", False)],
)
def test_the_findings_resource_stands_in_when_the_mapping_names_none(
    declared: str, allowed: bool
) -> None:
    # ec2 has no resolver in tests/strict/actions.py: the finding's group ARN has the shape
    # of the security-group resource RevokeSecurityGroupIngress acts on, so it is judged on it.
    [judgement] = calls_judge([_call("RevokeSecurityGroupIngress", declared)], target_arn=GROUP)
    assert (judgement.action, judgement.resource) == ("ec2:RevokeSecurityGroupIngress", GROUP)
    assert judgement.allowed is allowed


def test_without_a_resource_the_action_alone_is_judged() -> None:
    account = "AWS::::Account:222222222222"  # no ARN of a security group
    declared = calls_judge(
        [_call("RevokeSecurityGroupIngress", "arn:aws:ec2:*:*:security-group/*")],
        target_arn=account,
    )
    undeclared = calls_judge(
        [_call("RevokeSecurityGroupIngress", "*", action="ec2:AuthorizeSecurityGroupIngress")],
        target_arn=account,
    )
    assert [(j.resource, j.allowed) for j in declared] == [("(resource not resolved)", True)]
    assert [(j.resource, j.allowed) for j in undeclared] == [("(resource not resolved)", False)]


def test_actions_without_resource_types_are_judged_on_star() -> None:
    [judgement] = calls_judge([_call("DescribeSecurityGroups", "*")], target_arn=GROUP)
    assert (judgement.resource, judgement.allowed) == ("*", True)
