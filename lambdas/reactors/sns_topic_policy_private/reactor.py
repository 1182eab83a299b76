"""Reactor ``sns-topic-policy-private`` (AFSBP SNS.4)."""

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

ACTION = "sns:SetTopicAttributes"
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
    }
)


def _principal_is_anyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def is_public(statement: Mapping[str, Any]) -> bool:
    """An Allow for anyone ("*") that no condition ties to an account, organization or source."""
    if statement.get("Effect") != "Allow" or not _principal_is_anyone(statement.get("Principal")):
        return False
    for operator, block in (statement.get("Condition") or {}).items():
        positive = "Not" not in operator and not operator.endswith("IfExists")
        if positive and any(key.lower() in RESTRICTING_KEYS for key in block or {}):
            return False
    return True


def owner_only(topic_arn: str, account_id: str) -> dict[str, Any]:
    """The statement SNS writes on a new topic: the owner account's principals only."""
    return {
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": [
            "SNS:GetTopicAttributes",
            "SNS:SetTopicAttributes",
            "SNS:AddPermission",
            "SNS:RemovePermission",
            "SNS:DeleteTopic",
            "SNS:Subscribe",
            "SNS:ListSubscriptionsByTopic",
            "SNS:Publish",
        ],
        "Resource": topic_arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": account_id}},
    }


def _policy(sns: Any, topic_arn: str) -> str | None:
    try:
        policy: str | None = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"].get(
            "Policy"
        )
    except ClientError as exc:
        raise ReactorError(f"cannot read topic {topic_arn}: {exc}") from exc
    return policy


def _set_policy(sns: Any, topic_arn: str, policy: str) -> None:
    try:
        sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=policy)
    except ClientError as exc:
        raise ReactorError(f"cannot set the policy of {topic_arn}: {exc}") from exc


@reactor
class SnsTopicPolicyPrivateReactor(Reactor):
    """Remove public statements from an SNS topic's access policy.

    Removes every statement that allows anyone ("*") to use the topic without a condition that
    ties it to an account, organization or source (aws:SourceOwner, aws:SourceAccount,
    aws:SourceArn, aws:PrincipalOrgID and the like). Every other statement stays as it was; a
    policy left with no statement gets SNS's default one (the owner account only). Publishers
    or subscribers that relied on the public access are then refused: run it in dry run first.
    Rollback writes the original policy back, unless the policy changed after the remediation.
    Installing needs admin approval: sns:SetTopicAttributes can rewrite a topic's access
    policy, which the reactor-trust deny list reserves for approved official reactors.
    """

    id = "sns-topic-policy-private"
    version = "1.0.0"
    recommended_mode = "dry_run"
    control_ids = ("SNS.4",)
    permissions = (
        Permission(("sns:GetTopicAttributes", "sns:SetTopicAttributes"), ("arn:aws:sns:*:*:*",)),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsSnsTopic")
        topic_arn, region = resource.id, resource.region or finding.region
        sns = client("sns", session=session, region=region)
        original = _policy(sns, topic_arn)
        policy: dict[str, Any] = json.loads(original) if original else {}
        found = policy.get("Statement") or []
        statements: list[dict[str, Any]] = found if isinstance(found, list) else [found]
        public = [s for s in statements if is_public(s)]
        if not public:
            return self.result(finding, dry_run=dry_run, changes=[], message="no public statement")
        kept = [s for s in statements if not is_public(s)] or [
            owner_only(topic_arn, finding.account_id)
        ]
        new_policy = json.dumps({**policy, "Statement": kept})
        changes = [
            Change(
                ACTION, topic_arn, f"remove public statement {s.get('Sid', '')}".strip(), s, None
            )
            for s in public
        ]
        if not dry_run:
            _set_policy(sns, topic_arn, new_policy)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=changes,
            rollback_data={
                "topic_arn": topic_arn,
                "region": region,
                "policy": original,
                "written": new_policy,
            },
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        topic_arn, original = rollback_data.get("topic_arn"), rollback_data.get("policy")
        written = rollback_data.get("written")
        if not topic_arn or not original or not written:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs topic_arn and policies")
        sns = client("sns", session=session, region=rollback_data.get("region") or finding.region)
        current = _policy(sns, str(topic_arn))
        if not current or json.loads(current) != json.loads(written):
            raise ReactorRollbackError(
                f"{self.id}: the policy of {topic_arn} changed after the remediation: left as it is"
            )
        _set_policy(sns, str(topic_arn), str(original))
        change = Change(ACTION, str(topic_arn), "restore the original policy", None, original)
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(SnsTopicPolicyPrivateReactor)
