"""Least-privilege IAM for a deployment: one role per function, the state machine's, EventBridge's.

Policies are built from the function list (tables, stream, grants; see
`deploy.functions.GRANTS`) and scoped to this deployment's ARNs:

- a function reads or writes only its own tables (and their indexes); no Scan, no table admin;
- a stream consumer may read only its table's stream, and send its failed batches to the
  deployment's failure queue;
- the state machine role may invoke only the task functions; the EventBridge role may only start
  executions of this state machine;
- the reactor installer creates reactor functions and roles only under the ``<prefix>-rx-`` name
  prefix (which no platform function or role has: its grants do not cover itself) and only
  with the reactor permissions boundary attached (which allows nothing but assuming the
  member remediation role and writing logs), so it cannot mint a broader role than that; every
  write to a role that IAM can condition on ``iam:PermissionsBoundary`` (`BOUNDED_ROLE_WRITES`)
  is allowed only on roles carrying that boundary;
- the console's role is also the credentials Zappa's REST API integration hands API Gateway
  (``Credentials`` of the proxy integration, zappa/core.py): it trusts ``apigateway.amazonaws.com``
  besides Lambda, and allows ``lambda:InvokeFunction`` on the console function only
  (`FunctionSpec.services`, `INVOKE_SELF`). Chosen over an HTTP API or a function URL: it keeps
  Zappa's REST API (stage path, custom domains, ``zappa certify``) as the README documents it;
- a function in a VPC (``vpc_config``, from ``deploy.toml``) gets the network-interface actions
  Lambda needs (`VPC_ACCESS`, the actions of AWS's ``AWSLambdaVPCAccessExecutionRole``, on ``*``
  as there: the Describe actions have no resource type, and Lambda checks the role before it
  knows the interface). ``role_ensure`` writes them with the rest, so a re-run keeps them;
- the Hub's verifier is the only writer of ``security_reactor_verdicts`` (grant
  ``verdict_sign``: PutItem there, and ``kms:Sign`` only on the key carrying the alias bootstrap
  gives it, `deploy.signing`); every other function at most reads it (``hub_read``);
- the console may only put findings exports and get them back (the pre-signed download is
  signed with its credentials) under ``exports/`` of the export bucket (grant ``exports_write``):
  no listing, no deletion (the bucket's lifecycle deletes exports, `deploy.supporting`);
- the console counts API requests in ``api_rate_limits`` with UpdateItem only (grant
  ``api_rate_count``; DescribeTable for PynamoDB's table metadata): no Get, Put or Delete;
- BatchUpdateFindings is granted on this account's hub in the home region only: the write-back
  updates every finding there, findings of linked regions too (Security Hub replicates updates
  made in the home region back to the finding's region; `ouroboros.securityhub.writeback`).

Security Hub's read operations do not support resource-level permissions, so that grant is the
only one on ``*`` besides `VPC_ACCESS`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from deploy.functions import GRANTS, FunctionSpec, function_get
from deploy.naming import Deployment
from deploy.report import ResourceReport
from deploy.signing import signing_key_alias
from ouroboros.aws import client
from ouroboros.config import Role, get_config
from ouroboros.models import ApiRateLimitModel, HubVerdictModel

Statement = dict[str, Any]
#: The Hub's signed verdicts: only the verifier (grant ``verdict_sign``) may write them.
VERDICT_TABLE = HubVerdictModel.short_name
POLICY_NAME = "ouroboros"

READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable"]
WRITE = [
    *READ,
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
]
STREAM = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]
SECURITYHUB_READ = [
    "securityhub:DescribeHub",
    "securityhub:GetFindings",
    "securityhub:GetEnabledStandards",
    "securityhub:DescribeStandards",
    "securityhub:DescribeStandardsControls",
    "securityhub:ListSecurityControlDefinitions",
    "securityhub:ListStandardsControlAssociations",
    "securityhub:BatchGetSecurityControls",
]


#: What Lambda needs to attach a function to a VPC (AWSLambdaVPCAccessExecutionRole's actions).
VPC_ACCESS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]

#: What API Gateway, using the console's role as the integration's credentials, needs.
INVOKE_SELF = ["lambda:InvokeFunction"]

#: Role writes of the installer; IAM supports ``iam:PermissionsBoundary`` on each (the Service
#: Authorization Reference), so each is allowed only on roles with the reactor boundary.
BOUNDED_ROLE_WRITES = [
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:DeleteRole",
]
#: The installer's other role actions (IAM has no boundary condition key for them).
ROLE_READS_AND_TAGS = [
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:TagRole",
]


def trust_policy(service: str | Sequence[str]) -> dict[str, Any]:
    """A trust policy letting ``service`` (e.g. ``lambda.amazonaws.com``, or several) assume the
    role."""
    services: str | list[str] = service if isinstance(service, str) else list(service)
    if isinstance(services, list) and len(services) == 1:
        services = services[0]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": services}, "Action": "sts:AssumeRole"}
        ],
    }


def _tables(deployment: Deployment, names: tuple[str, ...], side: Role) -> list[str]:
    arns = []
    for name in names:
        arn = deployment.table_arn(name, side)
        arns += [arn, f"{arn}/index/*"]
    return arns


def boundary_name(deployment: Deployment) -> str:
    return f"{deployment.prefix}-reactor-boundary"


def boundary_arn(deployment: Deployment) -> str:
    return f"arn:aws:iam::{deployment.account}:policy/{boundary_name(deployment)}"


def boundary_policy(deployment: Deployment) -> dict[str, Any]:
    """The most a reactor's role can ever allow: assume the member role, write its logs."""
    member_role = get_config().member_role_name
    log_group = f"arn:aws:logs:{deployment.region}:{deployment.account}:log-group:/aws/lambda/"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:aws:iam::*:role/{member_role}",
            },
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [
                    f"{log_group}{deployment.reactor_function_prefix}*",
                    f"{log_group}{deployment.reactor_function_prefix}*:*",
                ],
            },
        ],
    }


def _grant(grant: str, deployment: Deployment) -> list[Statement]:
    d = deployment
    fn_prefix = f"arn:aws:lambda:{d.region}:{d.account}:function:{d.reactor_function_prefix}*"
    role_prefix = f"arn:aws:iam::{d.account}:role/{d.reactor_function_prefix}*"
    hub_role = get_config().hub_role_arn
    grants: dict[str, list[Statement]] = {
        "securityhub_read": [{"Action": SECURITYHUB_READ, "Resource": "*"}],
        "securityhub_update": [
            {
                "Action": ["securityhub:BatchUpdateFindings"],
                "Resource": f"arn:aws:securityhub:{d.region}:{d.account}:hub/default",
            }
        ],
        "sns_publish": [{"Action": ["sns:Publish"], "Resource": d.topic_arn}],
        # Tickets through the new Security Hub's connectors (any region's).
        "ticket_open": [
            {
                "Action": ["securityhub:CreateTicketV2"],
                "Resource": f"arn:aws:securityhub:*:{d.account}:connectorv2/*",
            }
        ],
        "states_start": [
            {"Action": ["states:StartExecution"], "Resource": d.state_machine_arn},
            {
                "Action": ["states:DescribeExecution"],
                "Resource": (
                    f"arn:aws:states:{d.region}:{d.account}:execution:{d.state_machine_name}:*"
                ),
            },
        ],
        "reactor_invoke": [{"Action": ["lambda:InvokeFunction"], "Resource": fn_prefix}],
        # The verifier hands the artifact to the permission-less import probe (AWS confinement).
        "import_probe_invoke": [
            {
                "Action": ["lambda:InvokeFunction"],
                "Resource": d.function_arn(function_get("hub_import_probe")),
            }
        ],
        "reactor_manage": [
            {
                "Action": [
                    "lambda:CreateFunction",
                    "lambda:UpdateFunctionCode",
                    "lambda:UpdateFunctionConfiguration",
                    "lambda:DeleteFunction",
                    "lambda:GetFunction",
                    "lambda:TagResource",
                ],
                "Resource": fn_prefix,
            },
            {
                "Action": BOUNDED_ROLE_WRITES,
                "Resource": role_prefix,
                "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary_arn(d)}},
            },
            {"Action": ROLE_READS_AND_TAGS, "Resource": role_prefix},
            {
                "Action": ["iam:PassRole"],
                "Resource": role_prefix,
                "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
            },
        ],
        "hub_read": (
            [{"Action": ["sts:AssumeRole"], "Resource": hub_role}]
            if hub_role
            else [
                {
                    "Action": READ,
                    "Resource": _tables(
                        d, ("security_controls", "security_reactors", VERDICT_TABLE), "hub"
                    ),
                }
            ]
        ),
        # The API's rate-limit counters: an atomic ADD per request, nothing read or deleted.
        "api_rate_count": [
            {
                "Action": ["dynamodb:UpdateItem", "dynamodb:DescribeTable"],
                "Resource": d.table_arn(ApiRateLimitModel.short_name, "consumer"),
            }
        ],
        "exports_write": [
            {
                "Action": ["s3:PutObject", "s3:GetObject"],
                "Resource": f"arn:aws:s3:::{d.export_bucket}/exports/*",
            }
        ],
        "hub_artifacts_read": [
            {"Action": ["s3:GetObject"], "Resource": f"arn:aws:s3:::{d.hub_bucket}/*"}
        ],
        # The verifier alone writes verdicts; kms:Sign only on the key bootstrap aliased.
        "verdict_sign": [
            {
                "Action": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DescribeTable"],
                "Resource": d.table_arn(VERDICT_TABLE, "hub"),
            },
            {
                "Action": ["kms:Sign"],
                "Resource": f"arn:aws:kms:{d.region}:{d.account}:key/*",
                "Condition": {
                    "ForAnyValue:StringEquals": {"kms:ResourceAliases": signing_key_alias(d.stage)}
                },
            },
        ],
        "secret_parameters": [
            {
                "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                "Resource": (
                    f"arn:aws:ssm:{d.region}:{d.account}:parameter{d.parameter_path.rstrip('/')}/*"
                ),
            }
        ],
    }
    if grant not in grants:
        raise KeyError(f"unknown grant {grant!r}; known: {', '.join(GRANTS)}")
    return grants[grant]


def function_policy(
    spec: FunctionSpec, deployment: Deployment, *, vpc: bool = False
) -> dict[str, Any]:
    """The inline policy of ``spec``'s role in ``deployment`` (``vpc``: the function is in one)."""
    d = deployment
    name = spec.lambda_name(d.stage)
    log_group = f"arn:aws:logs:{d.region}:{d.account}:log-group:/aws/lambda/{name}"
    statements: list[Statement] = [
        {
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group, f"{log_group}:*"],
        }
    ]
    if spec.tables_write:
        statements.append({"Action": WRITE, "Resource": _tables(d, spec.tables_write, spec.side)})
    if spec.tables_read:
        statements.append({"Action": READ, "Resource": _tables(d, spec.tables_read, spec.side)})
    if spec.stream_table:
        table = d.table_arn(spec.stream_table, spec.side)
        statements.append({"Action": STREAM, "Resource": f"{table}/stream/*"})
        statements.append({"Action": ["sqs:SendMessage"], "Resource": d.failure_queue_arn})
    for grant in spec.grants:
        statements += _grant(grant, d)
    if "apigateway.amazonaws.com" in spec.services:
        arn = d.function_arn(spec)
        statements.append({"Action": INVOKE_SELF, "Resource": [arn, f"{arn}:*"]})
    if vpc:
        statements.append({"Action": VPC_ACCESS, "Resource": "*"})
    return _document(statements)


def _document(statements: list[Statement]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", **s} for s in statements],
    }


def state_machine_policy(tasks: list[FunctionSpec], deployment: Deployment) -> dict[str, Any]:
    """The state machine may invoke the task functions (any version) and nothing else."""
    arns = []
    for spec in tasks:
        arn = deployment.function_arn(spec)
        arns += [arn, f"{arn}:*"]
    return _document([{"Action": ["lambda:InvokeFunction"], "Resource": arns}])


def events_policy(deployment: Deployment) -> dict[str, Any]:
    """EventBridge may start executions of this state machine and nothing else."""
    return _document(
        [{"Action": ["states:StartExecution"], "Resource": deployment.state_machine_arn}]
    )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str):
        a = json.loads(a)
    if isinstance(b, str):
        b = json.loads(b)
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def role_ensure(
    name: str,
    *,
    service: str | Sequence[str],
    policy: dict[str, Any],
    deployment: Deployment,
    description: str,
    trust: dict[str, Any] | None = None,
) -> ResourceReport:
    """Create the role ``name`` (trust ``service``, or the whole ``trust`` policy when given;
    inline ``policy``) or repair what drifted."""
    iam = client("iam", region=deployment.region)
    trust = trust if trust is not None else trust_policy(service)
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description=description[:1000],
            Tags=[
                {"Key": "project", "Value": "ouroboros"},
                {"Key": "stage", "Value": deployment.stage},
            ],
        )
        iam.put_role_policy(
            RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy)
        )
        return ResourceReport("iam role", name, "created")
    drift = []
    if not _same(role["AssumeRolePolicyDocument"], trust):
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
        drift.append("trust policy")
    try:
        current = iam.get_role_policy(RoleName=name, PolicyName=POLICY_NAME)["PolicyDocument"]
    except iam.exceptions.NoSuchEntityException:
        current = None
    if current is None or not _same(current, policy):
        iam.put_role_policy(
            RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy)
        )
        drift.append("permissions")
    extra = [
        p for p in iam.list_role_policies(RoleName=name)["PolicyNames"] if p != POLICY_NAME
    ] + [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    for policy_name in extra:
        if policy_name.startswith("arn:"):
            iam.detach_role_policy(RoleName=name, PolicyArn=policy_name)
        else:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        drift.append(f"removed extra policy {policy_name}")
    return ResourceReport("iam role", name, "updated" if drift else "unchanged", drift)


def boundary_ensure(deployment: Deployment) -> ResourceReport:
    """The reactor permissions boundary (a managed policy), created or brought up to date."""
    iam = client("iam", region=deployment.region)
    arn = boundary_arn(deployment)
    document = boundary_policy(deployment)
    try:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
    except iam.exceptions.NoSuchEntityException:
        iam.create_policy(
            PolicyName=boundary_name(deployment),
            PolicyDocument=json.dumps(document),
            Description="Ouroboros: the most a reactor role may allow",
        )
        return ResourceReport("iam policy", boundary_name(deployment), "created")
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    if _same(version["PolicyVersion"]["Document"], document):
        return ResourceReport("iam policy", boundary_name(deployment), "unchanged")
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    if len(versions) >= 5:  # IAM keeps at most five versions: drop the oldest non-default one
        older = [v for v in versions if not v["IsDefaultVersion"]]
        oldest = min(older, key=lambda v: v["CreateDate"])
        iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=True)
    return ResourceReport("iam policy", boundary_name(deployment), "updated", ["document"])
