"""``lambda-policy-private`` beyond its scenario: what counts as public, which statements it can
restore, and a function without a policy.

The harness runs the Lambda.1 scenario (a public invoke, a public function URL, and an S3
trigger tied to its source).
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from lambdas.reactors.lambda_policy_private.reactor import add_permission_args, handler, is_public
from lambdas.reactors.lambda_policy_private.scenarios import SCENARIOS, public_function
from reactor_sdk import ReactorError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional

INVOKE: dict[str, Any] = {
    "Sid": "Anyone",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "lambda:InvokeFunction",
    "Resource": "arn:aws:lambda:us-east-1:222222222222:function:f",
}
#: A public function URL as AWS writes it: the auth type is a condition.
URL = {
    **INVOKE,
    "Sid": "Url",
    "Action": "lambda:InvokeFunctionUrl",
    "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}},
}


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        (INVOKE, True),
        (URL, True),
        ({**INVOKE, "Principal": {"AWS": "*"}}, True),
        ({**INVOKE, "Condition": {"StringEquals": {"AWS:SourceAccount": "1"}}}, False),
        ({**INVOKE, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a"}}}, False),
        ({**INVOKE, "Principal": {"Service": "s3.amazonaws.com"}}, False),
        ({**INVOKE, "Effect": "Deny"}, False),
    ],
)
def test_what_counts_as_public(statement: dict[str, Any], public: bool) -> None:
    assert is_public(statement) is public


def test_rebuilds_what_add_permission_can_write_and_refuses_the_rest() -> None:
    assert add_permission_args(URL) == {
        "StatementId": "Url",
        "Action": "lambda:InvokeFunctionUrl",
        "Principal": "*",
        "FunctionUrlAuthType": "NONE",
    }
    with pytest.raises(ReactorError, match="only single-action statements"):
        add_permission_args({**INVOKE, "Action": ["lambda:InvokeFunction", "lambda:GetFunction"]})
    secure = {**INVOKE, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
    with pytest.raises(ReactorError, match="aws:securetransport cannot be restored"):
        add_permission_args(secure)


def test_a_function_without_a_policy_is_unchanged(member: boto3.Session) -> None:
    target = public_function(member, MEMBER)
    lam = member.client("lambda")
    for sid in ("AnyoneInvokes", "PublicUrl", "UploadsTrigger"):
        lam.remove_permission(FunctionName="public-fn", StatementId=sid)

    result = run(handler, scenario_finding(SCENARIOS[0], target, MEMBER))
    assert result["status"] == "unchanged"
