"""Scenarios of ``lambda-policy-private`` for the harness (`reactor_sdk.testing`): Lambda.1."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def public_function(session: boto3.Session, account_id: str) -> Target:
    role = session.client("iam").create_role(
        RoleName="public-fn-role", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    lam = session.client("lambda")
    arn = lam.create_function(
        FunctionName="public-fn",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": _code()},
    )["FunctionArn"]
    # Anyone may invoke, and a function URL without auth: both public.
    lam.add_permission(
        FunctionName="public-fn",
        StatementId="AnyoneInvokes",
        Action="lambda:InvokeFunction",
        Principal="*",
    )
    lam.add_permission(
        FunctionName="public-fn",
        StatementId="PublicUrl",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    # A service restricted to its source: stays.
    lam.add_permission(
        FunctionName="public-fn",
        StatementId="UploadsTrigger",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::uploads-{account_id}",
        SourceAccount=account_id,
    )
    return Target(arn, "AwsLambdaFunction")


def _statements(session: boto3.Session, target: Target) -> Any:
    name = target.resource_id.rsplit(":", 1)[-1]
    policy = json.loads(session.client("lambda").get_policy(FunctionName=name)["Policy"])
    return sorted(policy["Statement"], key=lambda s: s["Sid"])


def _private(statements: Any) -> bool:
    anyone = [s for s in statements if s["Principal"] in ("*", {"AWS": "*"})]
    return not anyone and [s["Sid"] for s in statements] == ["UploadsTrigger"]


SCENARIOS = [
    Scenario(
        "Lambda.1",
        "asff_findings/asr_afsbp_lambda.1.json",
        public_function,
        _statements,
        _private,
    ),
]
