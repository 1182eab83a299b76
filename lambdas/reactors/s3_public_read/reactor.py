"""Reactor ``s3-public-read`` (AFSBP S3.2), the original sample reactor."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import boto3

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

READ_ACTIONS = frozenset(
    {"*", "s3:*", "s3:get*", "s3:getobject", "s3:getobjectversion", "s3:listbucket"}
)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def public_read(statement: Mapping[str, Any]) -> bool:
    """Whether ``statement`` lets anyone read: Allow, public principal, a read action, no
    Condition (a condition such as aws:SourceVpce or aws:PrincipalOrgID narrows who can read)."""
    if statement.get("Effect") != "Allow" or statement.get("Condition"):
        return False
    principal = statement.get("Principal")
    public = principal == "*" or (
        isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS"))
    )
    actions = {str(a).lower() for a in _as_list(statement.get("Action"))}
    return public and bool(actions & READ_ACTIONS)


@reactor
class S3PublicReadReactor(Reactor):
    """Remove bucket policy statements that allow public read access.

    Deletes from the bucket's policy every statement that allows anyone (Principal "*") to
    read objects or list the bucket (s3:GetObject, s3:GetObjectVersion, s3:ListBucket, s3:Get*,
    s3:* or *) without a Condition. Every other statement stays as it was; when no statement is
    left, the bucket policy is deleted. Public ACL grants are not touched (the S3.8 reactor
    blocks them). Rollback puts the original policy back, byte for byte.
    """

    id = "s3-public-read"
    version = "1.0.0"
    control_ids = ("S3.2",)
    permissions = (
        Permission(
            ("s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"),
            ("arn:aws:s3:::*",),
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        bucket = finding.resource("AwsS3Bucket").name
        s3 = client("s3", session=session)
        try:
            original = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        except s3.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] == "NoSuchBucketPolicy":
                return self.result(finding, dry_run=dry_run, changes=[], message="no policy")
            raise ReactorError(f"cannot read the policy of {bucket}: {exc}") from exc
        policy = json.loads(original)
        statements = _as_list(policy.get("Statement"))
        removed = [s for s in statements if public_read(s)]
        if not removed:
            return self.result(finding, dry_run=dry_run, changes=[], message="no public read")
        kept = [s for s in statements if not public_read(s)]
        arn = f"arn:aws:s3:::{bucket}"
        sids = ", ".join(str(s.get("Sid", "(no Sid)")) for s in removed)
        if kept:
            new_policy = json.dumps({**policy, "Statement": kept})
            change = Change(
                "s3:PutBucketPolicy", arn, f"remove public-read statement(s) {sids}", removed, kept
            )
        else:
            new_policy = ""
            change = Change(
                "s3:DeleteBucketPolicy", arn, f"delete policy (only {sids} in it)", removed, None
            )
        if not dry_run:
            if new_policy:
                s3.put_bucket_policy(Bucket=bucket, Policy=new_policy)
            else:
                s3.delete_bucket_policy(Bucket=bucket)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"bucket": bucket, "policy": original},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        bucket, policy = rollback_data.get("bucket"), rollback_data.get("policy")
        if not bucket or not isinstance(policy, str):
            raise ReactorRollbackError("s3-public-read: rollback_data needs bucket and policy")
        client("s3", session=session).put_bucket_policy(Bucket=bucket, Policy=policy)
        change = Change(
            "s3:PutBucketPolicy", f"arn:aws:s3:::{bucket}", "restore policy", None, policy
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(S3PublicReadReactor)
