"""Reactor ``s3-bucket-public-access-block`` (AFSBP S3.8)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@reactor
class S3BucketPublicAccessBlockReactor(Reactor):
    """Turn on S3 Block Public Access on a bucket.

    Sets all four Block Public Access settings of the finding's bucket (block and ignore public
    ACLs, block public policies, restrict public buckets). Objects, ACLs and the bucket policy
    are not modified: S3 stops honouring their public parts. Rollback restores the previous
    settings, or removes the bucket's configuration when it had none.
    """

    id = "s3-bucket-public-access-block"
    version = "1.0.0"
    control_ids = ("S3.8",)
    permissions = (
        Permission(
            ("s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
            ("arn:aws:s3:::*",),
        ),
    )

    def _current(self, s3: Any, bucket: str) -> dict[str, bool] | None:
        try:
            config = s3.get_public_access_block(Bucket=bucket)
        except s3.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration":
                return None
            raise
        return {k: bool(v) for k, v in config["PublicAccessBlockConfiguration"].items()}

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        bucket = finding.resource("AwsS3Bucket").name
        s3 = client("s3", session=session)
        before = self._current(s3, bucket)
        wanted = dict.fromkeys(SETTINGS, True)
        if before == wanted:
            return self.result(finding, dry_run=dry_run, changes=[], message="already blocked")
        change = Change(
            "s3:PutBucketPublicAccessBlock",
            f"arn:aws:s3:::{bucket}",
            "turn on Block Public Access",
            before,
            wanted,
        )
        if not dry_run:
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=wanted)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"bucket": bucket, "previous": before},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        bucket = rollback_data.get("bucket")
        if not bucket or "previous" not in rollback_data:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs bucket and previous")
        previous = rollback_data["previous"]
        s3 = client("s3", session=session)
        if previous:
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=previous)
        else:
            s3.delete_public_access_block(Bucket=bucket)
        change = Change(
            "s3:PutBucketPublicAccessBlock",
            f"arn:aws:s3:::{bucket}",
            "restore Block Public Access",
            None,
            previous,
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(S3BucketPublicAccessBlockReactor)
