"""Reactor ``s3-require-tls`` (AFSBP S3.5)."""

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

SID = "OuroborosDenyInsecureTransport"


def deny_insecure_transport(bucket: str) -> dict[str, Any]:
    """The statement S3.5 asks for: deny every request made without TLS."""
    return {
        "Sid": SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    secure = (condition.get("Bool") or {}).get("aws:SecureTransport")
    return statement.get("Effect") == "Deny" and str(secure).lower() == "false"


@reactor
class S3RequireTlsReactor(Reactor):
    """Deny requests to a bucket that do not use TLS.

    Adds to the bucket policy a statement that denies every S3 action on the bucket and its
    objects when aws:SecureTransport is false, keeping every other statement as it was (a
    bucket without a policy gets one with that statement only). Nothing changes when a
    statement already denies insecure transport. Rollback restores the original policy, or
    deletes the policy when the bucket had none.
    """

    id = "s3-require-tls"
    version = "1.0.0"
    control_ids = ("S3.5",)
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
            original: str | None = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        except s3.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchBucketPolicy":
                raise ReactorError(f"cannot read the policy of {bucket}: {exc}") from exc
            original = None
        policy: dict[str, Any] = (
            json.loads(original) if original else {"Version": "2012-10-17", "Statement": []}
        )
        found = policy.get("Statement") or []
        statements: list[dict[str, Any]] = found if isinstance(found, list) else [found]
        if any(denies_insecure_transport(s) for s in statements):
            return self.result(finding, dry_run=dry_run, changes=[], message="TLS required")
        added = deny_insecure_transport(bucket)
        change = Change(
            "s3:PutBucketPolicy",
            f"arn:aws:s3:::{bucket}",
            f"add statement {SID} (deny aws:SecureTransport false)",
            None,
            added,
        )
        if not dry_run:
            new_policy = {**policy, "Statement": [*statements, added]}
            s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(new_policy))
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"bucket": bucket, "policy": original},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        bucket = rollback_data.get("bucket")
        if not bucket or "policy" not in rollback_data:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs bucket and policy")
        policy = rollback_data["policy"]
        s3 = client("s3", session=session)
        if policy:
            s3.put_bucket_policy(Bucket=bucket, Policy=policy)
            action = "s3:PutBucketPolicy"
        else:
            s3.delete_bucket_policy(Bucket=bucket)
            action = "s3:DeleteBucketPolicy"
        change = Change(action, f"arn:aws:s3:::{bucket}", "restore the policy", None, policy)
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(S3RequireTlsReactor)
