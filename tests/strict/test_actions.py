"""The mapping of recorded calls to IAM actions, resources and request context."""

from __future__ import annotations

from typing import Any

import pytest

from tests.strict.actions import Needed, UnmappedCallError, call_needs
from tests.strict.recorder import DeploymentSettings, RecordedCall, params_kept

ACCOUNT = "123456789012"
SETTINGS = DeploymentSettings("dev", "us-east-1", "cmdb", "hub", "", "Member", "bucket")


def call(
    service: str,
    operation: str,
    params: dict[str, Any],
    *,
    region: str = "us-east-1",
    boundary: str | None = None,
) -> RecordedCall:
    return RecordedCall(
        function="parse_finding",
        service=service,
        operation=operation,
        params=params_kept(params),
        region=region,
        account=ACCOUNT,
        principal=None,
        settings=SETTINGS,
        test="tests/strict/test_actions.py::x",
        role_boundary=boundary,
    )


def pairs(needs: list[Needed]) -> list[tuple[str, str]]:
    return [(n.action, n.resource) for n in needs]


TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table"


def test_a_query_on_an_index_acts_on_the_index() -> None:
    needs = call_needs(call("dynamodb", "Query", {"TableName": "t", "IndexName": "by_x"}))
    assert pairs(needs) == [("dynamodb:Query", f"{TABLE}/t/index/by_x")]
    assert pairs(call_needs(call("dynamodb", "Query", {"TableName": "t"}))) == [
        ("dynamodb:Query", f"{TABLE}/t")
    ]


def test_a_transaction_needs_the_per_item_action_on_each_table() -> None:
    items = [
        {"Update": {"TableName": "aggregates", "Key": {}, "UpdateExpression": "ADD #t :d"}},
        {"Put": {"TableName": "executions", "Item": {"secret": {"S": "x"}}}},
        {"ConditionCheck": {"TableName": "controls", "Key": {}}},
        {"Delete": {"TableName": "markers", "Key": {}}},
    ]
    needs = call_needs(call("dynamodb", "TransactWriteItems", {"TransactItems": items}))
    assert pairs(needs) == [
        ("dynamodb:UpdateItem", f"{TABLE}/aggregates"),
        ("dynamodb:PutItem", f"{TABLE}/executions"),
        ("dynamodb:ConditionCheckItem", f"{TABLE}/controls"),
        ("dynamodb:DeleteItem", f"{TABLE}/markers"),
    ]


def test_a_batch_write_needs_batch_write_item_on_each_table() -> None:
    params: dict[str, Any] = {"RequestItems": {"b": [{"PutRequest": {"Item": {}}}], "a": []}}
    needs = call_needs(call("dynamodb", "BatchWriteItem", params))
    assert pairs(needs) == [
        ("dynamodb:BatchWriteItem", f"{TABLE}/a"),
        ("dynamodb:BatchWriteItem", f"{TABLE}/b"),
    ]


def test_s3_operations_authorized_under_other_names() -> None:
    assert pairs(call_needs(call("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "p/"}))) == [
        ("s3:ListBucket", "arn:aws:s3:::b")
    ]
    assert pairs(call_needs(call("s3", "HeadObject", {"Bucket": "b", "Key": "k/x.zip"}))) == [
        ("s3:GetObject", "arn:aws:s3:::b/k/x.zip")
    ]


def test_v2_calls_are_v1_actions_and_updates_act_on_the_hub_of_their_region() -> None:
    needs = call_needs(call("securityhub", "GetFindingsV2", {}))
    assert [n.action for n in needs] == ["securityhub:GetFindings"]
    update = call("securityhub", "BatchUpdateFindings", {}, region="eu-west-1")
    [needed] = call_needs(update)
    assert needed.resource == f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:hub/default"
    assert needed.context["aws:RequestedRegion"] == "eu-west-1"
    update_v2 = call("securityhub", "BatchUpdateFindingsV2", {}, region="eu-west-1")
    [needed_v2] = call_needs(update_v2)
    assert (needed_v2.action, needed_v2.resource) == (
        "securityhub:BatchUpdateFindings",
        f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:hub/default",
    )


def test_an_ssm_parameter_arn_drops_the_leading_slash() -> None:
    [needed] = call_needs(call("ssm", "GetParameter", {"Name": "/ouroboros/dev/slack"}))
    assert needed.resource == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/ouroboros/dev/slack"
    needs = call_needs(call("ssm", "GetParameters", {"Names": ["/a/x", "/a/y"]}))
    assert [n.resource.rsplit(":", 1)[1] for n in needs] == ["parameter/a/x", "parameter/a/y"]


@pytest.mark.parametrize(
    ("name", "arn"),
    [
        ("fn", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"),
        ("fn:live", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn:live"),
        (f"{ACCOUNT}:function:fn", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"),
        ("arn:aws:lambda:eu-west-1:222222222222:function:fn", None),
    ],
)
def test_invoke_is_invoke_function_on_the_function(name: str, arn: str | None) -> None:
    [needed] = call_needs(call("lambda", "Invoke", {"FunctionName": name, "Payload": b"{}"}))
    assert (needed.action, needed.resource) == ("lambda:InvokeFunction", arn or name)


def test_create_function_also_passes_its_role_to_lambda() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    needs = call_needs(call("lambda", "CreateFunction", {"FunctionName": "f", "Role": role}))
    assert pairs(needs)[1] == ("iam:PassRole", role)
    assert needs[1].context["iam:PassedToService"] == "lambda.amazonaws.com"


def test_the_permissions_boundary_is_in_the_context_where_the_action_supports_it() -> None:
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/b"
    [create] = call_needs(
        call("iam", "CreateRole", {"RoleName": "r", "PermissionsBoundary": boundary})
    )
    assert create.context["iam:PermissionsBoundary"] == boundary
    assert create.context["aws:RequestedRegion"] == "us-east-1"
    [update] = call_needs(
        call("iam", "UpdateAssumeRolePolicy", {"RoleName": "r"}, boundary=boundary)
    )
    assert update.context["iam:PermissionsBoundary"] == boundary  # the role's own boundary
    [listing] = call_needs(call("iam", "ListRolePolicies", {"RoleName": "r"}, boundary=boundary))
    assert "iam:PermissionsBoundary" not in listing.context  # no such key for ListRolePolicies
    [unbounded] = call_needs(call("iam", "PutRolePolicy", {"RoleName": "r"}))
    assert "iam:PermissionsBoundary" not in unbounded.context


def test_iam_global_region_is_requested_as_us_east_1() -> None:
    [needed] = call_needs(call("iam", "GetRole", {"RoleName": "r"}, region="aws-global"))
    assert needed.context["aws:RequestedRegion"] == "us-east-1"


def test_sqs_queue_url_and_states_arns() -> None:
    url = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q"
    [send] = call_needs(call("sqs", "SendMessage", {"QueueUrl": url, "MessageBody": "x"}))
    assert send.resource == f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"
    machine = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:m"
    [start] = call_needs(call("stepfunctions", "StartExecution", {"stateMachineArn": machine}))
    assert (start.action, start.resource) == ("states:StartExecution", machine)


def test_get_caller_identity_needs_no_permission() -> None:
    assert call_needs(call("sts", "GetCallerIdentity", {})) == []


def test_an_unknown_operation_fails_loudly_naming_the_call() -> None:
    with pytest.raises(UnmappedCallError, match=r"securityhub\.GetFindingsV3 by parse_finding"):
        call_needs(call("securityhub", "GetFindingsV3", {}))


def test_a_required_resource_the_parameters_do_not_name_fails_loudly() -> None:
    with pytest.raises(UnmappedCallError, match="dynamodb:GetRecords needs a resource"):
        call_needs(call("dynamodbstreams", "GetRecords", {"ShardIterator": "opaque"}))


def test_kept_parameters_hold_no_item_body_or_secret() -> None:
    kept = params_kept(
        {
            "TableName": "t",
            "Item": {"token": {"S": "secret"}},
            "Payload": b"secret",
            "PolicyDocument": "{}",
            "ExternalId": "shared-secret",
            "RequestItems": {"t": [{"PutRequest": {"Item": {"k": {"S": "secret"}}}}]},
        }
    )
    assert kept == {"TableName": "t", "ExternalId": "<set>", "Tables": ["t"]}
