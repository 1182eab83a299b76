"""A minimal stand-in for Security Hub's action-target API, which moto does not implement.

Installed as botocore ``before-call`` handlers on the session bootstrap uses, it answers
CreateActionTarget, DescribeActionTargets, UpdateActionTarget and DeleteActionTarget from a
dict, so the rehearsal exercises bootstrap's real calls and idempotence. Nothing else of
Security Hub is intercepted.

`install` also installs `emulator.request_limits` on the session: every request bootstrap makes
through it (Security Hub, IAM, Lambda, EventBridge, ...) is checked against the limits AWS
enforces before the stub or moto sees it, so a name AWS would refuse fails the rehearsal with
`RequestLimitError` instead of passing locally.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse

from emulator.request_limits import session_limits_install

OPERATIONS = (
    "CreateActionTarget",
    "DescribeActionTargets",
    "UpdateActionTarget",
    "DeleteActionTarget",
)


class ActionTargetStub:
    """Action targets of one account and region, keyed by ARN."""

    def __init__(self, account: str, region: str) -> None:
        self.account, self.region = account, region
        self.targets: dict[str, dict[str, str]] = {}

    def install(self, session: boto3.Session) -> None:
        session_limits_install(session)
        for operation in OPERATIONS:
            session.events.register(f"before-call.securityhub.{operation}", self._answer)

    def _answer(
        self, model: Any, params: dict[str, Any], **_: Any
    ) -> tuple[int, dict[str, Any]] | None:
        body = params.get("body") or {}
        if isinstance(body, (bytes, str)):
            body = json.loads(body or "{}")
        name = model.name
        if name == "CreateActionTarget":
            arn = f"arn:aws:securityhub:{self.region}:{self.account}:action/custom/{body['Id']}"
            self.targets[arn] = {
                "ActionTargetArn": arn,
                "Name": body["Name"],
                "Description": body["Description"],
            }
            return _response({"ActionTargetArn": arn})
        if name == "DescribeActionTargets":
            arns = body.get("ActionTargetArns") or list(self.targets)
            return _response(
                {"ActionTargets": [self.targets[a] for a in arns if a in self.targets]}
            )
        arn = params.get("url_path", "").split("/actionTargets/", 1)[-1]
        arn = _unquote(arn)
        if name == "UpdateActionTarget":
            self.targets[arn].update(
                {k: v for k, v in body.items() if k in ("Name", "Description")}
            )
            return _response({})
        if name == "DeleteActionTarget":
            self.targets.pop(arn, None)
            return _response({"ActionTargetArn": arn})
        return None


def _unquote(text: str) -> str:
    return unquote(unquote(text))


def _response(body: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    response = AWSResponse("https://securityhub.stub", 200, {}, None)
    return response, {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}
