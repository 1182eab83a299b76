"""Reactor ``lambda-policy-private`` (AFSBP Lambda.1)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

#: Condition keys that tie a statement to known callers: such a statement is not public.
RESTRICTING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceip",
        "lambda:eventsourcetoken",
    }
)
#: Condition keys a public statement may carry that lambda:AddPermission can write back.
URL_AUTH_KEY = "lambda:functionurlauthtype"


def _principal_is_anyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def _condition_keys(statement: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Condition key (lower case) -> (operator, value) of a statement."""
    keys: dict[str, tuple[str, Any]] = {}
    for operator, block in (statement.get("Condition") or {}).items():
        for key, value in (block or {}).items():
            keys[key.lower()] = (operator, value)
    return keys


def is_public(statement: Mapping[str, Any]) -> bool:
    """An Allow for anyone ("*") that no condition ties to an account, organization or source."""
    if statement.get("Effect") != "Allow" or not _principal_is_anyone(statement.get("Principal")):
        return False
    for key, (operator, _) in _condition_keys(statement).items():
        positive = "Not" not in operator and not operator.endswith("IfExists")
        if key in RESTRICTING_KEYS and positive:
            return False
    return True


def add_permission_args(statement: Mapping[str, Any]) -> dict[str, Any]:
    """The lambda:AddPermission arguments that write ``statement`` back (rollback)."""
    sid, action = statement.get("Sid"), statement.get("Action")
    if not sid or not isinstance(action, str):
        raise ReactorError(
            f"statement {sid or '(no Sid)'}: only single-action statements with a Sid can be "
            "removed and restored"
        )
    args: dict[str, Any] = {"StatementId": sid, "Action": action, "Principal": "*"}
    # AWS writes the auth type as a condition; some emulators as a top-level field.
    auth = statement.get("FunctionUrlAuthType")
    for key, (_, value) in _condition_keys(statement).items():
        if key != URL_AUTH_KEY:
            raise ReactorError(
                f"statement {sid}: condition {key} cannot be restored by lambda:AddPermission"
            )
        auth = value
    if auth:
        args["FunctionUrlAuthType"] = auth
    return args


def function_policy(lam: Any, function: str) -> list[dict[str, Any]]:
    """The statements of the function's resource policy (none: no policy)."""
    try:
        policy = json.loads(lam.get_policy(FunctionName=function)["Policy"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":
            return []
        raise ReactorError(f"cannot read the policy of {function}: {exc}") from exc
    found = policy.get("Statement") or []
    return found if isinstance(found, list) else [found]


@reactor
class LambdaPolicyPrivateReactor(Reactor):
    """Remove public statements from a Lambda function's resource policy.

    Removes every statement that allows anyone ("*") to call the function without a condition
    that ties it to a source or account (aws:SourceArn, aws:SourceAccount, aws:PrincipalOrgID
    and the like), including public function URLs (auth type NONE). Statements for named
    accounts, services and restricted sources stay. Anyone who calls the function anonymously,
    a public function URL included, is then refused: run it in dry run first and check the
    callers. A public statement that lambda:AddPermission could not write back (several
    actions, other conditions) is refused before anything changes. Rollback adds each removed
    statement back with lambda:AddPermission. Installing needs admin approval:
    lambda:AddPermission and lambda:RemovePermission edit resource policies, which the
    reactor-trust deny list reserves for approved official reactors.
    """

    id = "lambda-policy-private"
    version = "1.0.0"
    recommended_mode = "dry_run"
    control_ids = ("Lambda.1",)
    permissions = (
        Permission(
            ("lambda:GetPolicy", "lambda:RemovePermission", "lambda:AddPermission"),
            ("arn:aws:lambda:*:*:function:*",),
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsLambdaFunction")
        region = resource.region or finding.region
        function = resource.name
        lam = client("lambda", session=session, region=region)
        public = [s for s in function_policy(lam, function) if is_public(s)]
        if not public:
            return self.result(finding, dry_run=dry_run, changes=[], message="no public statement")
        restore = [add_permission_args(s) for s in public]  # refuses before any change
        changes = [
            Change(
                "lambda:RemovePermission",
                resource.id,
                f"remove public statement {s['Sid']}",
                s,
                None,
            )
            for s in public
        ]
        if not dry_run:
            for args in restore:
                lam.remove_permission(FunctionName=function, StatementId=args["StatementId"])
        return self.result(
            finding,
            dry_run=dry_run,
            changes=changes,
            rollback_data={"function": function, "region": region, "statements": restore},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        function, statements = rollback_data.get("function"), rollback_data.get("statements")
        if not function or not isinstance(statements, list) or not statements:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs function and statements")
        lam = client(
            "lambda", session=session, region=rollback_data.get("region") or finding.region
        )
        changes = []
        for args in statements:
            try:
                lam.add_permission(FunctionName=function, **args)
            except ClientError as exc:
                raise ReactorRollbackError(
                    f"{self.id}: cannot add statement {args.get('StatementId')} back: {exc}"
                ) from exc
            changes.append(
                Change(
                    "lambda:AddPermission",
                    str(function),
                    f"restore statement {args['StatementId']}",
                    None,
                    args,
                )
            )
        return self.result(finding, dry_run=False, changes=changes, operation="rollback")


handler = reactor_handler(LambdaPolicyPrivateReactor)
