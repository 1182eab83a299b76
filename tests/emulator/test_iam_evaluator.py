"""The IAM policy evaluator against AWS's documented evaluation logic and the project's policies.

Each table case names the IAM User Guide page (and section) it comes from, relative to
https://docs.aws.amazon.com/IAM/latest/UserGuide/ :

- eval-logic: reference_policies_evaluation-logic.html (and its sub-pages _policy-eval-denyallow,
  _policy-eval-basics, -cross-account)
- notaction / notresource / resource / action / principal / notprincipal:
  reference_policies_elements_<element>.html
- conditions: reference_policies_elements_condition_operators.html
- multivalued: reference_policies_condition-single-vs-multi-valued-context-keys.html
- variables: reference_policies_variables.html
- boundaries: access_policies_boundaries.html; sessions: access_policies.html#policies_session
- trust, externalid: id_roles_create_for-service.html, id_roles_create_for-user_externalid.html
- session policy size: STS API reference, AssumeRole, parameter ``Policy``
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from deploy.functions import FUNCTIONS, FunctionSpec
from deploy.iam import boundary_arn, boundary_policy, function_policy, trust_policy
from deploy.member_role import member_role_template
from deploy.naming import Deployment
from emulator.iam_conditions import OPERATORS
from emulator.iam_evaluator import (
    Decision,
    PolicyError,
    Request,
    evaluate,
    session_policy_problems,
    trust_evaluate,
)
from ouroboros.reactors.installer import reactor_function_name, reactor_role_policy

A = "111122223333"  # the account of the caller and, unless said otherwise, of the resource
B = "444455556666"  # another account
ROLE = f"arn:aws:iam::{A}:role/app"
SESSION = f"arn:aws:sts::{A}:assumed-role/app/worker-1"
USER = f"arn:aws:iam::{A}:user/carlossalazar"
B_ROLE = f"arn:aws:iam::{B}:role/auditor"
B_SESSION = f"arn:aws:sts::{B}:assumed-role/auditor/audit"
TABLE = f"arn:aws:dynamodb:us-east-1:{A}:table/Books"
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def req(action: str, resource: str = "*", principal: str | None = None, **context: Any) -> Request:
    return Request(
        action, resource, {k.replace("__", ":"): v for k, v in context.items()}, principal
    )


ADMIN = doc(allow("*"))
NOT_IAM = doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
MFA_OR_IAM_ONLY = doc(
    allow("*"),
    {
        "Effect": "Deny",
        "NotAction": "iam:*",
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    },
)
PAYROLL_ONLY = doc(
    allow("s3:*"),
    {
        "Effect": "Deny",
        "Action": "s3:*",
        "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"],
    },
)
REGIONS = doc(
    allow("*"),
    deny(
        "*",
        Condition={"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}},
    ),
)
HOME_PREFIX = doc(
    allow(
        "s3:ListBucket",
        BUCKET,
        Condition={"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}},
    )
)
HTTPS_ONLY = doc(allow("s3:*"), deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}}))
INSTANCE_TYPES = doc(
    allow(
        "ec2:RunInstances",
        Condition={"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}},
    )
)
TAG_KEYS_ALL = doc(
    allow(
        "ec2:CreateTags",
        Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
    )
)
TAG_KEYS_ANY = doc(
    allow(
        "ec2:CreateTags",
        Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}},
    )
)
SHIRLEY_BOUNDARY = doc(allow(["s3:*", "cloudwatch:*", "ec2:*"]))
READ_ONLY_SESSION = [doc(allow("s3:GetObject", f"{BUCKET}/*"))]


def bucket_policy(principal: Any, action: str = "s3:GetObject") -> dict[str, Any]:
    return doc(allow(action, f"{BUCKET}/*", Principal=principal))


def case(
    id: str, request: Request, identity: list[dict[str, Any]], allowed: bool, reason: str, **kw: Any
) -> Any:
    return pytest.param(request, identity, kw, allowed, reason, id=id)


EVALUATION_CASES = [
    # --- eval-logic: default deny, explicit deny wins --------------------------------------
    case(
        "eval-logic/implicit-deny-by-default",
        req("s3:GetObject", f"{BUCKET}/k"),
        [],
        False,
        "no identity statement allows s3:GetObject",
    ),
    case(
        "eval-logic/identity-allow",
        req("s3:GetObject", f"{BUCKET}/k"),
        [ADMIN],
        True,
        "allowed by statement 1 of identity policy",
    ),
    case(
        "eval-logic/explicit-deny-overrides-allow",
        req("s3:DeleteObject", f"{BUCKET}/k"),
        [doc(allow("s3:*"), deny("s3:DeleteObject"))],
        False,
        "explicit deny by statement 2 of identity policy",
    ),
    case(
        "eval-logic/deny-in-another-identity-policy-wins",
        req("s3:DeleteObject", f"{BUCKET}/k"),
        [ADMIN, doc(deny("s3:Delete*"))],
        False,
        "explicit deny by statement 1 of identity policy 2",
    ),
    case(
        "eval-logic/deny-in-resource-policy-wins",
        req("s3:GetObject", f"{BUCKET}/k", USER),
        [ADMIN],
        False,
        "explicit deny by statement 1 of resource policy",
        resource_policy=doc(deny("s3:*", f"{BUCKET}/*", Principal="*")),
    ),
    # --- notaction / notresource -----------------------------------------------------------
    case(
        "notaction/allow-everything-but-iam",
        req("s3:GetObject", f"{BUCKET}/k"),
        [NOT_IAM],
        True,
        "allowed",
    ),
    case(
        "notaction/iam-is-not-allowed",
        req("iam:CreateUser", f"arn:aws:iam::{A}:user/x"),
        [NOT_IAM],
        False,
        "no identity statement allows iam:CreateUser",
    ),
    case(
        "notaction/deny-all-but-iam-without-mfa",
        req("ec2:RunInstances"),
        [MFA_OR_IAM_ONLY],
        False,
        "explicit deny by statement 2",
    ),
    case(
        "notaction/iam-still-allowed-without-mfa",
        req("iam:ChangePassword"),
        [MFA_OR_IAM_ONLY],
        True,
        "allowed by statement 1",
    ),
    case(
        "notaction/with-mfa-BoolIfExists-false",
        req("ec2:RunInstances", aws__MultiFactorAuthPresent=True),
        [MFA_OR_IAM_ONLY],
        True,
        "allowed by statement 1",
    ),
    case(
        "notresource/payroll-allowed",
        req("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/a"),
        [PAYROLL_ONLY],
        True,
        "allowed",
    ),
    case(
        "notresource/everything-else-denied",
        req("s3:GetObject", f"{BUCKET}/a"),
        [PAYROLL_ONLY],
        False,
        "explicit deny by statement 2",
    ),
    # --- resource / action: ARN segments and wildcards -------------------------------------
    case(
        "resource/same-region-and-account",
        req("dynamodb:GetItem", TABLE),
        [doc(allow("dynamodb:GetItem", TABLE))],
        True,
        "allowed",
    ),
    case(
        "resource/region-mismatch",
        req("dynamodb:GetItem", TABLE.replace("us-east-1", "eu-west-1")),
        [doc(allow("dynamodb:GetItem", TABLE))],
        False,
        "no identity statement",
    ),
    case(
        "resource/account-mismatch",
        req("dynamodb:GetItem", TABLE.replace(A, B)),
        [doc(allow("dynamodb:GetItem", TABLE))],
        False,
        "no identity statement",
    ),
    case(
        "resource/star-in-region-does-not-span-into-account",
        req("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{B}:{A}:table/Books"),
        [doc(allow("dynamodb:GetItem", f"arn:aws:dynamodb:us-*:{A}:table/Books"))],
        False,
        "no identity statement",
    ),
    case(
        "resource/empty-region-matches-only-empty",
        req("iam:GetRole", f"arn:aws:iam:us-east-1:{A}:role/app"),
        [doc(allow("iam:GetRole", ROLE))],
        False,
        "no identity statement",
    ),
    case(
        "resource/star-account-matches-any",
        req("iam:GetRole", ROLE.replace(A, B)),
        [doc(allow("iam:GetRole", "arn:aws:iam::*:role/app"))],
        True,
        "allowed",
    ),
    case(
        "resource/question-mark-one-character",
        req("s3:GetObject", "arn:aws:s3:::logs-10/k"),
        [doc(allow("s3:GetObject", "arn:aws:s3:::logs-?/*"))],
        False,
        "no identity statement",
    ),
    case(
        "action/match-is-case-insensitive",
        req("S3:getobject", f"{BUCKET}/k"),
        [doc(allow("s3:Get*", f"{BUCKET}/*"))],
        True,
        "allowed",
    ),
    # --- conditions ------------------------------------------------------------------------
    case(
        "conditions/StringEquals-region",
        req("ec2:RunInstances", aws__RequestedRegion="us-east-1"),
        [doc(allow("ec2:*", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}}))],
        True,
        "allowed",
    ),
    case(
        "conditions/StringEquals-is-case-sensitive",
        req("ec2:RunInstances", aws__RequestedRegion="US-EAST-1"),
        [doc(allow("ec2:*", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}}))],
        False,
        "no identity statement",
    ),
    case(
        "conditions/StringEqualsIgnoreCase",
        req("ec2:RunInstances", aws__RequestedRegion="US-EAST-1"),
        [
            doc(
                allow(
                    "ec2:*",
                    Condition={"StringEqualsIgnoreCase": {"aws:RequestedRegion": "us-east-1"}},
                )
            )
        ],
        True,
        "allowed",
    ),
    case(
        "conditions/StringNotEquals-deny-other-regions",
        req("ec2:RunInstances", aws__RequestedRegion="ap-south-1"),
        [REGIONS],
        False,
        "explicit deny by statement 2",
    ),
    case(
        "conditions/StringNotEquals-listed-region-passes",
        req("ec2:RunInstances", aws__RequestedRegion="eu-west-1"),
        [REGIONS],
        True,
        "allowed",
    ),
    case(
        "conditions/negated-operator-true-when-key-missing",
        req("ec2:RunInstances"),
        [REGIONS],
        False,
        "explicit deny by statement 2",
    ),
    case(
        "conditions/context-key-lookup-is-case-insensitive",
        req("ec2:RunInstances", AWS__REQUESTEDREGION="us-east-1"),
        [REGIONS],
        True,
        "allowed",
    ),
    case(
        "conditions/StringLike-with-policy-variable",
        req("s3:ListBucket", BUCKET, **{"aws:username": "johndoe", "s3:prefix": "home/johndoe/x"}),
        [HOME_PREFIX],
        True,
        "allowed",
    ),
    case(
        "conditions/StringLike-other-users-home",
        req("s3:ListBucket", BUCKET, **{"aws:username": "johndoe", "s3:prefix": "home/ana/x"}),
        [HOME_PREFIX],
        False,
        "no identity statement",
    ),
    case(
        "conditions/StringNotLike",
        req("s3:PutObject", f"{BUCKET}/k", **{"s3:x-amz-acl": "public-read"}),
        [
            doc(
                allow("s3:*"),
                deny("s3:PutObject", Condition={"StringNotLike": {"s3:x-amz-acl": "private*"}}),
            )
        ],
        False,
        "explicit deny by statement 2",
    ),
    case(
        "conditions/ArnEquals-source",
        req("sns:Publish", aws__SourceArn=f"arn:aws:s3:::{A}-logs"),
        [
            doc(
                allow(
                    "sns:Publish",
                    Condition={"ArnEquals": {"aws:SourceArn": f"arn:aws:s3:::{A}-logs"}},
                )
            )
        ],
        True,
        "allowed",
    ),
    case(
        "conditions/ArnLike-segment-wildcards",
        req("sqs:SendMessage", aws__SourceArn=f"arn:aws:sns:us-east-1:{A}:topic-7"),
        [
            doc(
                allow(
                    "sqs:SendMessage",
                    Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:topic-?"}},
                )
            )
        ],
        True,
        "allowed",
    ),
    case(
        "conditions/ArnNotLike-deny-outside-account",
        req("sqs:SendMessage", aws__SourceArn=f"arn:aws:sns:us-east-1:{B}:t"),
        [
            doc(
                allow("sqs:*"),
                deny("sqs:*", Condition={"ArnNotLike": {"aws:SourceArn": f"arn:aws:sns:*:{A}:*"}}),
            )
        ],
        False,
        "explicit deny by statement 2",
    ),
    case(
        "conditions/Bool-deny-insecure-transport",
        req("s3:GetObject", f"{BUCKET}/k", aws__SecureTransport=False),
        [HTTPS_ONLY],
        False,
        "explicit deny by statement 2",
    ),
    case(
        "conditions/Bool-secure-transport-allowed",
        req("s3:GetObject", f"{BUCKET}/k", aws__SecureTransport=True),
        [HTTPS_ONLY],
        True,
        "allowed",
    ),
    case(
        "conditions/Null-true-when-key-missing",
        req("s3:GetObject", f"{BUCKET}/k"),
        [doc(allow("s3:*"), deny("s3:*", Condition={"Null": {"aws:TokenIssueTime": "true"}}))],
        False,
        "explicit deny by statement 2",
    ),
    case(
        "conditions/Null-true-not-met-when-key-present",
        req("s3:GetObject", f"{BUCKET}/k", aws__TokenIssueTime="2026-12-06T10:00:00Z"),
        [doc(allow("s3:*"), deny("s3:*", Condition={"Null": {"aws:TokenIssueTime": "true"}}))],
        True,
        "allowed",
    ),
    case(
        "conditions/NumericLessThanEquals-max-keys",
        req("s3:ListBucket", BUCKET, **{"s3:max-keys": "50"}),
        [
            doc(
                allow(
                    "s3:ListBucket",
                    BUCKET,
                    Condition={"NumericLessThanEquals": {"s3:max-keys": "10"}},
                )
            )
        ],
        False,
        "no identity statement",
    ),
    case(
        "conditions/NumericLessThan-met",
        req("s3:ListBucket", BUCKET, **{"s3:max-keys": "5"}),
        [doc(allow("s3:ListBucket", BUCKET, Condition={"NumericLessThan": {"s3:max-keys": 10}}))],
        True,
        "allowed",
    ),
    case(
        "conditions/missing-key-makes-positive-condition-false",
        req("s3:ListBucket", BUCKET),
        [doc(allow("s3:ListBucket", BUCKET, Condition={"NumericLessThan": {"s3:max-keys": 10}}))],
        False,
        "no identity statement",
    ),
    case(
        "conditions/DateLessThan-expired",
        req("s3:GetObject", f"{BUCKET}/k", aws__CurrentTime="2027-01-02T00:00:00Z"),
        [
            doc(
                allow(
                    "s3:*", Condition={"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}
                )
            )
        ],
        False,
        "no identity statement",
    ),
    case(
        "conditions/IpAddress",
        req("s3:GetObject", f"{BUCKET}/k", aws__SourceIp="203.0.113.7"),
        [doc(allow("s3:*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))],
        True,
        "allowed",
    ),
    case(
        "conditions/IfExists-true-when-key-missing",
        req("ec2:RunInstances"),
        [INSTANCE_TYPES],
        True,
        "allowed",
    ),
    case(
        "conditions/IfExists-checked-when-present",
        req("ec2:RunInstances", ec2__InstanceType="m5.large"),
        [INSTANCE_TYPES],
        False,
        "no identity statement",
    ),
    case(
        "conditions/several-keys-are-ANDed",
        req("ec2:RunInstances", aws__RequestedRegion="us-east-1", ec2__InstanceType="m5.large"),
        [
            doc(
                allow(
                    "ec2:*",
                    Condition={
                        "StringEquals": {
                            "aws:RequestedRegion": "us-east-1",
                            "ec2:InstanceType": "t3.micro",
                        }
                    },
                )
            )
        ],
        False,
        "no identity statement",
    ),
    case(
        "multivalued/ForAllValues-subset",
        req("ec2:CreateTags", aws__TagKeys=["environment"]),
        [TAG_KEYS_ALL],
        True,
        "allowed",
    ),
    case(
        "multivalued/ForAllValues-extra-key",
        req("ec2:CreateTags", aws__TagKeys=["environment", "owner"]),
        [TAG_KEYS_ALL],
        False,
        "no identity statement",
    ),
    case(
        "multivalued/ForAllValues-true-when-key-missing",
        req("ec2:CreateTags"),
        [TAG_KEYS_ALL],
        True,
        "allowed",
    ),
    case(
        "multivalued/ForAnyValue-one-match",
        req("ec2:CreateTags", aws__TagKeys=["owner", "cost-center"]),
        [TAG_KEYS_ANY],
        True,
        "allowed",
    ),
    case(
        "multivalued/ForAnyValue-false-when-key-missing",
        req("ec2:CreateTags"),
        [TAG_KEYS_ANY],
        False,
        "no identity statement",
    ),
    case(
        "variables/unresolved-variable-statement-does-not-apply",
        req("s3:ListBucket", BUCKET, s3__prefix="home/x/"),
        [HOME_PREFIX],
        False,
        "no identity statement",
    ),
    case(
        "variables/2008-10-17-keeps-them-literal",
        req("s3:GetObject", "arn:aws:s3:::b/${aws:username}/k", **{"aws:username": "ana"}),
        [doc(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"), version="2008-10-17")],
        True,
        "allowed",
    ),
    case(
        "variables/resource-with-username",
        req("s3:GetObject", "arn:aws:s3:::b/ana/k", **{"aws:username": "ana"}),
        [doc(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"))],
        True,
        "allowed",
    ),
    # --- permissions boundaries and session policies ---------------------------------------
    case(
        "boundaries/identity-allows-boundary-does-not",
        req("iam:CreateUser", f"arn:aws:iam::{A}:user/x", USER),
        [doc(allow("iam:CreateUser"))],
        False,
        "permissions boundary does not allow iam:CreateUser",
        boundary=SHIRLEY_BOUNDARY,
    ),
    case(
        "boundaries/allowed-by-both",
        req("s3:GetObject", f"{BUCKET}/k", USER),
        [ADMIN],
        True,
        "allowed by statement 1 of identity policy",
        boundary=SHIRLEY_BOUNDARY,
    ),
    case(
        "boundaries/boundary-alone-grants-nothing",
        req("s3:GetObject", f"{BUCKET}/k", USER),
        [],
        False,
        "no identity statement",
        boundary=SHIRLEY_BOUNDARY,
    ),
    case(
        "boundaries/explicit-deny-in-boundary",
        req("s3:GetObject", f"{BUCKET}/k", USER),
        [ADMIN],
        False,
        "explicit deny by statement 2 of permissions boundary",
        boundary=doc(allow("s3:*"), deny("s3:GetObject")),
    ),
    case(
        "sessions/intersection-allows",
        req("s3:GetObject", f"{BUCKET}/k", SESSION),
        [ADMIN],
        True,
        "allowed",
        session=READ_ONLY_SESSION,
    ),
    case(
        "sessions/intersection-denies",
        req("s3:PutObject", f"{BUCKET}/k", SESSION),
        [ADMIN],
        False,
        "session policy does not allow s3:PutObject",
        session=READ_ONLY_SESSION,
    ),
    case(
        "sessions/cannot-grant-more-than-identity",
        req("s3:GetObject", f"{BUCKET}/k", SESSION),
        [doc(allow("ec2:*"))],
        False,
        "no identity statement",
        session=READ_ONLY_SESSION,
    ),
    case(
        "sessions/several-session-policies-are-a-union",
        req("ec2:DescribeInstances", "*", SESSION),
        [ADMIN],
        True,
        "allowed",
        session=[*READ_ONLY_SESSION, doc(allow("ec2:Describe*"))],
    ),
    # --- resource-based policies, same account (eval-logic denyallow) -----------------------
    case(
        "eval-logic/same-account-rbp-naming-user-is-enough",
        req("s3:GetObject", f"{BUCKET}/k", USER),
        [],
        True,
        "allowed by statement 1 of resource policy (granted directly",
        resource_policy=bucket_policy({"AWS": USER}),
        boundary=doc(allow("ec2:*")),
    ),
    case(
        "eval-logic/same-account-rbp-naming-session-not-limited",
        req("s3:GetObject", f"{BUCKET}/k", SESSION),
        [],
        True,
        "granted directly",
        resource_policy=bucket_policy({"AWS": SESSION}),
        boundary=doc(allow("ec2:*")),
        session=[doc(allow("ec2:*"))],
    ),
    case(
        "eval-logic/same-account-rbp-naming-role-arn",
        req("s3:GetObject", f"{BUCKET}/k", SESSION),
        [],
        True,
        "granted to the role ARN",
        resource_policy=bucket_policy({"AWS": ROLE}),
    ),
    case(
        "eval-logic/same-account-rbp-role-arn-limited-by-boundary",
        req("s3:GetObject", f"{BUCKET}/k", SESSION),
        [],
        False,
        "permissions boundary does not allow",
        resource_policy=bucket_policy({"AWS": ROLE}),
        boundary=doc(allow("ec2:*")),
    ),
    case(
        "eval-logic/same-account-rbp-role-arn-limited-by-session-policy",
        req("s3:GetObject", f"{BUCKET}/k", SESSION),
        [],
        False,
        "session policy does not allow",
        resource_policy=bucket_policy({"AWS": ROLE}),
        session=[doc(allow("ec2:*"))],
    ),
    case(
        "principal/account-principal-delegates-to-identity",
        req("s3:GetObject", f"{BUCKET}/k", SESSION),
        [],
        False,
        "names the account",
        resource_policy=bucket_policy({"AWS": f"arn:aws:iam::{A}:root"}),
    ),
    case(
        "principal/account-principal-with-identity-allow",
        req("s3:GetObject", f"{BUCKET}/k", SESSION),
        [ADMIN],
        True,
        "identity policy",
        resource_policy=bucket_policy({"AWS": A}),
    ),
    case(
        "principal/service-principal",
        req(
            "lambda:InvokeFunction",
            f"arn:aws:lambda:us-east-1:{A}:function:f",
            "events.amazonaws.com",
        ),
        [],
        True,
        "granted directly",
        resource_policy=doc(
            allow(
                "lambda:InvokeFunction",
                f"arn:aws:lambda:us-east-1:{A}:function:f",
                Principal={"Service": "events.amazonaws.com"},
            )
        ),
    ),
    case(
        "trust/same-account-role-still-needs-its-trust-policy",
        req("sts:AssumeRole", f"arn:aws:iam::{A}:role/fn", USER),
        [ADMIN],
        False,
        "the trust policy does not allow",
        resource_policy=trust_policy("lambda.amazonaws.com"),
    ),
    case(
        "trust/same-account-trust-naming-the-user-is-enough",
        req("sts:AssumeRole", f"arn:aws:iam::{A}:role/fn", USER),
        [],
        True,
        "granted directly",
        resource_policy=doc(
            {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"}
        ),
    ),
    # --- cross-account (eval-logic cross-account) -----------------------------------------
    case(
        "cross-account/both-sides-allow",
        req("s3:GetObject", f"{BUCKET}/k", B_SESSION, aws__ResourceAccount=A),
        [doc(allow("s3:GetObject", f"{BUCKET}/*"))],
        True,
        "cross-account",
        resource_policy=bucket_policy({"AWS": B_ROLE}),
    ),
    case(
        "cross-account/account-principal-and-identity",
        req("dynamodb:GetItem", TABLE, B_SESSION),
        [doc(allow("dynamodb:GetItem", TABLE))],
        True,
        "allowed by statement 1 of identity policy",
        resource_policy=doc(allow("dynamodb:GetItem", TABLE, Principal={"AWS": B})),
    ),
    case(
        "cross-account/resource-policy-alone-is-not-enough",
        req("s3:GetObject", f"{BUCKET}/k", B_SESSION, aws__ResourceAccount=A),
        [],
        False,
        "cross-account",
        resource_policy=bucket_policy({"AWS": B_SESSION}),
    ),
    case(
        "cross-account/identity-alone-is-not-enough",
        req("dynamodb:GetItem", TABLE, B_SESSION),
        [doc(allow("dynamodb:GetItem", TABLE))],
        False,
        "has no resource-based policy",
    ),
    case(
        "cross-account/resource-policy-names-someone-else",
        req("dynamodb:GetItem", TABLE, B_SESSION),
        [doc(allow("dynamodb:GetItem", TABLE))],
        False,
        "resource policy does not allow",
        resource_policy=doc(allow("dynamodb:GetItem", TABLE, Principal={"AWS": USER})),
    ),
    # --- notprincipal ---------------------------------------------------------------------
    case(
        "notprincipal/listed-session-role-and-account-are-excepted",
        req("s3:GetObject", f"{BUCKET}/k", B_SESSION, aws__ResourceAccount=A),
        [ADMIN],
        True,
        "cross-account",
        resource_policy=doc(
            bucket_policy({"AWS": B_ROLE})["Statement"][0],
            deny(
                "s3:*",
                f"{BUCKET}/*",
                NotPrincipal={"AWS": [B_SESSION, B_ROLE, f"arn:aws:iam::{B}:root"]},
            ),
        ),
    ),
    case(
        "notprincipal/session-alone-listed-is-still-denied",
        req("s3:GetObject", f"{BUCKET}/k", B_SESSION, aws__ResourceAccount=A),
        [ADMIN],
        False,
        "explicit deny by statement 2 of resource policy",
        resource_policy=doc(
            bucket_policy({"AWS": B_ROLE})["Statement"][0],
            deny("s3:*", f"{BUCKET}/*", NotPrincipal={"AWS": [B_SESSION]}),
        ),
    ),
    case(
        "boundaries/notprincipal-deny-always-applies-with-a-boundary",
        req("s3:GetObject", f"{BUCKET}/k", USER),
        [ADMIN],
        False,
        "explicit deny by statement 1 of resource policy",
        boundary=ADMIN,
        resource_policy=doc(
            deny("s3:*", f"{BUCKET}/*", NotPrincipal={"AWS": [USER, f"arn:aws:iam::{A}:root"]})
        ),
    ),
]


@pytest.mark.parametrize(("request_", "identity", "kw", "allowed", "reason"), EVALUATION_CASES)
def test_evaluation_follows_the_documented_logic(
    request_: Request,
    identity: list[dict[str, Any]],
    kw: dict[str, Any],
    allowed: bool,
    reason: str,
) -> None:
    decision = evaluate(request_, identity, **kw)
    assert (decision.allowed, reason in decision.reason) == (allowed, True), decision.reason


def sample(operator: str) -> tuple[str, str]:
    """A policy value for ``operator`` and a context value its positive form matches."""
    if operator.startswith(("Numeric", "Date")):
        low, high = ("1", "2") if operator.startswith("Numeric") else ("2026-01-01", "2026-02-01")
        if "LessThan" in operator:
            return high, low
        return (low, high) if "GreaterThan" in operator else (low, low)
    samples = {"Bool": ("true", "true"), "Arn": (f"{BUCKET}*", f"{BUCKET}/o")}
    samples |= {"IpAddress": ("10.0.0.0/8", "10.1.2.3"), "NotIpAddress": ("10.0.0.0/8", "10.1.2.3")}
    return next((v for k, v in samples.items() if operator.startswith(k)), ("x", "x"))


@pytest.mark.parametrize("operator", sorted(OPERATORS))
def test_every_operator_on_a_missing_key(operator: str) -> None:
    """conditions: a missing key fails a positive operator, satisfies a negated one (AWS: "If the
    policy condition requires that the key is not matched ... the condition is true"), and
    satisfies every ...IfExists variant, which still checks a key that is present."""
    wanted, matching = sample(operator)
    negated = OPERATORS[operator][1]

    def allowed(name: str, **context: Any) -> bool:
        policy = doc(allow("s3:GetObject", Condition={name: {"k:key": wanted}}))
        return evaluate(Request("s3:GetObject", f"{BUCKET}/o", context), [policy]).allowed

    assert allowed(operator) is negated
    assert allowed(f"{operator}IfExists")
    assert allowed(f"{operator}IfExists", **{"k:key": matching}) is not negated


def test_the_deciding_statement_is_returned() -> None:
    statement = deny("s3:DeleteObject", Sid="NoDeletes")
    decision = evaluate(req("s3:DeleteObject", f"{BUCKET}/k"), [doc(allow("s3:*"), statement)])
    assert decision == Decision(
        False, "explicit deny by statement 2 (NoDeletes) of identity policy", statement
    )
    assert evaluate(req("s3:PutObject", f"{BUCKET}/k"), []).statement is None


# --- trust policies -------------------------------------------------------------------------


MEMBER_TRUST = doc(
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "Unique-Id-1234"}},
    }
)
REACTOR = f"arn:aws:iam::{A}:role/ouroboros-dev-reactor-fix-bucket"

TRUST_CASES = [
    pytest.param(
        trust_policy("lambda.amazonaws.com"),
        "lambda.amazonaws.com",
        {},
        True,
        "allowed by statement 1",
        id="trust/service-principal-lambda",
    ),
    pytest.param(
        trust_policy("lambda.amazonaws.com"),
        "ec2.amazonaws.com",
        {},
        False,
        "trust policy does not allow ec2.amazonaws.com",
        id="trust/other-service",
    ),
    pytest.param(
        trust_policy("lambda.amazonaws.com"),
        ROLE,
        {},
        False,
        "does not allow",
        id="trust/role-of-the-same-account-is-not-a-service",
    ),
    pytest.param(
        MEMBER_TRUST,
        REACTOR,
        {"sts:ExternalId": "Unique-Id-1234"},
        True,
        "its identity policy must also allow",
        id="externalid/right-external-id",
    ),
    pytest.param(
        MEMBER_TRUST,
        REACTOR,
        {"sts:ExternalId": "guess"},
        False,
        "condition StringEquals sts:ExternalId not met",
        id="externalid/wrong-external-id",
    ),
    pytest.param(
        MEMBER_TRUST, REACTOR, {}, False, "sts:ExternalId", id="externalid/no-external-id"
    ),
    pytest.param(
        MEMBER_TRUST,
        REACTOR.replace(A, B),
        {"sts:ExternalId": "Unique-Id-1234"},
        False,
        "does not allow",
        id="externalid/other-account",
    ),
    pytest.param(
        MEMBER_TRUST,
        A,
        {"sts:ExternalId": "Unique-Id-1234"},
        True,
        "allowed",
        id="principal/bare-account-id-is-the-account",
    ),
    pytest.param(
        doc({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"}),
        SESSION,
        {},
        True,
        "allowed",
        id="principal/role-arn-matches-its-sessions",
    ),
    pytest.param(
        doc(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": A}},
            }
        ),
        USER,
        {},
        True,
        "allowed",
        id="principal/star-with-principal-account-condition",
    ),
    pytest.param(
        doc(
            {"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"},
        ),
        USER,
        {},
        False,
        "explicit deny by statement 2",
        id="trust/explicit-deny",
    ),
]


@pytest.mark.parametrize(("policy", "principal", "context", "allowed", "reason"), TRUST_CASES)
def test_trust_policies(
    policy: dict[str, Any], principal: str, context: dict[str, Any], allowed: bool, reason: str
) -> None:
    decision = trust_evaluate(policy, principal, context)
    assert (decision.allowed, reason in decision.reason) == (allowed, True), decision.reason


# --- malformed documents --------------------------------------------------------------------

ERROR_CASES = [
    pytest.param(
        [doc({"Action": "s3:*", "Resource": "*"})],
        {},
        "statement 1 of identity policy: has no Effect",
        id="missing-effect",
    ),
    pytest.param(
        [doc({"Effect": "allow", "Action": "s3:*", "Resource": "*"})],
        {},
        "has Effect 'allow'",
        id="unknown-effect",
    ),
    pytest.param(
        [doc({"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"})],
        {},
        "both Action and NotAction",
        id="action-and-notaction",
    ),
    pytest.param(
        [doc({"Effect": "Allow", "Resource": "*"})],
        {},
        "neither Action nor NotAction",
        id="no-action",
    ),
    pytest.param(
        [doc({"Effect": "Allow", "Action": "s3:*"})],
        {},
        "neither Resource nor NotResource",
        id="no-resource",
    ),
    pytest.param(
        [doc(allow("s3:*", Condition={"StringEqualz": {"k": "v"}}))],
        {},
        "unknown condition operator 'StringEqualz'",
        id="unknown-operator",
    ),
    pytest.param(
        [doc(allow("s3:*", Condition={"ForSomeValues:StringEquals": {"k": "v"}}))],
        {},
        "unknown set operator",
        id="unknown-set-operator",
    ),
    pytest.param(
        [doc(allow("s3:*", Condition={"NullIfExists": {"k": "true"}}))],
        {},
        "unknown condition operator 'NullIfExists'",
        id="null-has-no-ifexists",
    ),
    pytest.param(
        [doc(allow("s3:*", Condition={"NumericLessThan": {"k": "ten"}}))],
        {},
        "are not all Numeric values",
        id="numeric-value",
    ),
    pytest.param(
        [
            doc(
                allow(
                    "sts:AssumeRole",
                    Condition={"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
                )
            )
        ],
        {},
        "resolve CloudFormation intrinsics",
        id="unresolved-cloudformation-ref",
    ),
    pytest.param(
        [doc(allow("s3:*", Principal="*"))],
        {},
        "cannot name a Principal",
        id="principal-in-identity-policy",
    ),
    pytest.param(
        [doc(allow("s3:*", Actions="s3:*"))],
        {},
        "unknown element(s) ['Actions']",
        id="unknown-element",
    ),
    pytest.param(
        [doc(allow("s3GetObject"))],
        {},
        "is not '*' or 'service:Action'",
        id="action-without-service",
    ),
    pytest.param(
        [{"Version": "2020-01-01", "Statement": [allow("*")]}],
        {},
        "Version must be",
        id="unknown-version",
    ),
    pytest.param([{"Version": "2012-10-17"}], {}, "has no Statement", id="no-statement"),
    pytest.param([doc(allow("s3:*", "my-bucket"))], {}, "is not '*' or an ARN", id="resource"),
    pytest.param(
        [{"Version": "2012-10-17", "Statement": ["Allow everything"]}],
        {},
        "a statement must be an object",
        id="statement-not-an-object",
    ),
    pytest.param(["{not json"], {}, "not valid JSON", id="document-not-json"),
    pytest.param([], {"session": []}, "pass None for no session policy", id="empty-session-list"),
    pytest.param(
        [],
        {"resource_policy": doc(allow("s3:*"))},
        "needs Principal or NotPrincipal",
        id="resource-policy-without-principal",
    ),
    pytest.param(
        [],
        {"resource_policy": doc(allow("s3:*", NotPrincipal={"AWS": USER}))},
        "NotPrincipal is only supported with Effect Deny",
        id="notprincipal-with-allow",
    ),
    pytest.param(
        [],
        {"resource_policy": doc(allow("s3:*", Principal={"AWS": "arn:aws:iam::*:role/x"}))},
        "wildcard inside an ARN",
        id="principal-wildcard",
    ),
    pytest.param(
        [],
        {"resource_policy": doc(allow("s3:*", Principal={"Group": "x"}))},
        "unknown principal type 'Group'",
        id="principal-type",
    ),
]


@pytest.mark.parametrize(("identity", "kw", "message"), ERROR_CASES)
def test_malformed_documents_raise_policy_error(
    identity: list[Any], kw: dict[str, Any], message: str
) -> None:
    with pytest.raises(PolicyError) as raised:
        evaluate(req("s3:GetObject", f"{BUCKET}/k", USER), identity, **kw)
    assert message in str(raised.value)


def test_a_trust_policy_with_a_resource_is_refused() -> None:
    policy = doc({**allow("sts:AssumeRole"), "Principal": {"AWS": A}})
    with pytest.raises(PolicyError, match="trust policy cannot have Resource"):
        trust_evaluate(policy, A)


# --- session policies at AssumeRole ----------------------------------------------------------


def padded(chars: int) -> dict[str, Any]:
    """A session policy of exactly ``chars`` characters once whitespace is removed."""
    policy = doc(allow("s3:GetObject", f"{BUCKET}/"))
    base = len(json.dumps(policy, separators=(",", ":")))
    policy["Statement"][0]["Resource"] += "k" * (chars - base)
    return policy


def test_session_policy_size_is_counted_without_whitespace() -> None:
    assert session_policy_problems(padded(2048)) == []
    assert session_policy_problems(json.dumps(padded(2048), indent=8)) == []
    assert len(json.dumps(padded(2048), indent=8)) > 2048
    (problem,) = session_policy_problems(padded(2049))
    assert "2049 characters" in problem
    assert "2048-character session policy limit" in problem


def test_whitespace_inside_strings_counts() -> None:
    policy = padded(2048)
    policy["Statement"][0]["Sid"] = "a b"
    assert session_policy_problems(policy) != []


@pytest.mark.parametrize(
    ("policy", "problem"),
    [
        pytest.param("{", "not valid JSON", id="not-json"),
        pytest.param(doc(allow("s3:*", Principal="*")), "cannot name a Principal", id="principal"),
        pytest.param(doc({"Action": "s3:*", "Resource": "*"}), "has no Effect", id="no-effect"),
        pytest.param(doc(allow("s3:*", Sid="€uro")), "characters outside", id="character-set"),
    ],
)
def test_session_policy_problems(policy: Any, problem: str) -> None:
    problems = session_policy_problems(
        policy if isinstance(policy, str) else json.dumps(policy, ensure_ascii=False)
    )
    assert any(problem in p for p in problems), problems


def test_a_small_session_policy_has_no_problems() -> None:
    assert session_policy_problems(READ_ONLY_SESSION[0]) == []
    assert session_policy_problems(json.dumps(READ_ONLY_SESSION[0], indent=2)) == []


# --- the project's generated policies --------------------------------------------------------

DEPLOYMENT = Deployment(stage="dev", region="us-east-1", account=A, side="consumer")


def spec(key: str) -> FunctionSpec:
    return next(s for s in FUNCTIONS if s.key == key)


def role_session(key: str) -> str:
    return f"arn:aws:sts::{A}:assumed-role/{spec(key).role_name('dev')}/{key}"


def test_parse_finding_reads_its_own_tables_and_nothing_else() -> None:
    policy = function_policy(spec("parse_finding"), DEPLOYMENT)
    controls = DEPLOYMENT.table_arn("security_controls")
    principal = role_session("parse_finding")

    def allowed(action: str, resource: str) -> bool:
        return evaluate(Request(action, resource, principal=principal), [policy]).allowed

    assert allowed("dynamodb:GetItem", controls)
    assert allowed("dynamodb:Query", f"{controls}/index/by-reactor")
    assert allowed("dynamodb:PutItem", DEPLOYMENT.table_arn("sfn_statemachines"))
    assert not allowed("dynamodb:PutItem", controls), "read-only table"
    assert not allowed("dynamodb:Scan", controls), "no Scan"
    assert allowed("dynamodb:UpdateItem", DEPLOYMENT.table_arn("security_aggregates")), "counters"
    assert not allowed("dynamodb:PutItem", DEPLOYMENT.table_arn("security_findings")), "read-only"
    assert not allowed("dynamodb:GetItem", controls.replace(A, B))
    assert not allowed("dynamodb:GetItem", controls.replace("us-east-1", "eu-west-1"))
    assert not allowed("dynamodb:GetItem", controls.replace("_dev_", "_prod_")), "another stage"
    assert not allowed("dynamodb:GetItem", DEPLOYMENT.table_arn("security_controls", "hub"))


def test_installer_creates_roles_only_with_the_reactor_boundary() -> None:
    policy = function_policy(spec("reactor_installer"), DEPLOYMENT)
    role = f"arn:aws:iam::{A}:role/ouroboros-dev-rx-fix-bucket"
    principal = role_session("reactor_installer")

    def create_role(context: dict[str, Any], resource: str = role) -> Decision:
        return evaluate(Request("iam:CreateRole", resource, context, principal), [policy])

    assert create_role({"iam:PermissionsBoundary": boundary_arn(DEPLOYMENT)}).allowed
    assert not create_role({}).allowed, "no boundary"
    assert not create_role({"iam:PermissionsBoundary": f"arn:aws:iam::{A}:policy/Admin"}).allowed
    other = f"arn:aws:iam::{A}:role/admin"
    assert not create_role({"iam:PermissionsBoundary": boundary_arn(DEPLOYMENT)}, other).allowed
    # Reactor roles have their own namespace: the installer's own role is out of its reach.
    itself = f"arn:aws:iam::{A}:role/ouroboros-dev-reactor-installer-role"
    assert not create_role({"iam:PermissionsBoundary": boundary_arn(DEPLOYMENT)}, itself).allowed

    def pass_role(service: str) -> bool:
        context = {"iam:PassedToService": service}
        return evaluate(Request("iam:PassRole", role, context, principal), [policy]).allowed

    assert pass_role("lambda.amazonaws.com")
    assert not pass_role("ec2.amazonaws.com")


def test_a_reactor_role_is_held_to_the_boundary() -> None:
    name = reactor_function_name("fix-bucket")
    manifest = {
        "permissions": [{"actions": ["s3:PutBucketPolicy"], "resources": ["arn:aws:s3:::*"]}]
    }
    identity = [reactor_role_policy(manifest, name)]
    boundary = boundary_policy(DEPLOYMENT)
    principal = f"arn:aws:sts::{A}:assumed-role/{name}/{name}"

    def decide(action: str, resource: str, **kw: Any) -> Decision:
        request = Request(action, resource, {"sts:ExternalId": "Unique-Id-1234"}, principal)
        return evaluate(request, identity, boundary=boundary, **kw)

    member_role = f"arn:aws:iam::{B}:role/OuroborosMemberRemediationRole"
    member_trust = doc({**MEMBER_TRUST["Statement"][0], "Principal": {"AWS": A}})
    assert decide("sts:AssumeRole", member_role, resource_policy=member_trust).allowed
    assert "no resource-based policy" in decide("sts:AssumeRole", member_role).reason
    log_stream = f"arn:aws:logs:us-east-1:{A}:log-group:/aws/lambda/{name}:log-stream:x"
    assert decide("logs:PutLogEvents", log_stream).allowed
    refused = decide("s3:PutBucketPolicy", "arn:aws:s3:::member-bucket")
    assert not refused.allowed
    assert refused.reason.startswith("permissions boundary does not allow s3:PutBucketPolicy")
    admin = f"arn:aws:iam::{B}:role/Admin"
    assert not decide("sts:AssumeRole", admin, resource_policy=member_trust).allowed


def test_function_roles_trust_only_lambda() -> None:
    trust = trust_policy("lambda.amazonaws.com")
    assert trust_evaluate(trust, "lambda.amazonaws.com").allowed
    assert not trust_evaluate(trust, "states.amazonaws.com").allowed
    assert not trust_evaluate(trust, f"arn:aws:iam::{A}:root").allowed


def test_member_role_trusts_reactor_roles_with_the_external_id() -> None:
    template = member_role_template(
        consumer_account=A,
        manifests={},
        role_name="OuroborosMemberRemediationRole",
        reactor_role_prefix="ouroboros-dev-reactor-",
    )
    trust = copy.deepcopy(
        template["Resources"]["MemberRemediationRole"]["Properties"]["AssumeRolePolicyDocument"]
    )
    with pytest.raises(PolicyError, match="resolve CloudFormation intrinsics"):
        trust_evaluate(trust, REACTOR, {"sts:ExternalId": "x"})
    trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = "Unique-Id-1234"
    reactor_session = f"arn:aws:sts::{A}:assumed-role/ouroboros-dev-reactor-fix-bucket/s"
    right = {"sts:ExternalId": "Unique-Id-1234"}

    assert trust_evaluate(trust, reactor_session, right).allowed
    assert trust_evaluate(trust, REACTOR, right).allowed
    assert not trust_evaluate(trust, REACTOR, {"sts:ExternalId": "nope"}).allowed
    assert not trust_evaluate(trust, REACTOR, {}).allowed
    not_a_reactor = trust_evaluate(trust, f"arn:aws:iam::{A}:role/admin", right)
    assert not not_a_reactor.allowed
    assert "ArnLike aws:PrincipalArn" in not_a_reactor.reason
    assert not trust_evaluate(trust, REACTOR.replace(A, B), right).allowed
