"""Reactor ``s3-bucket-public-access-block`` (AFSBP S3.8, S3.3, CloudTrail.6)."""

from __future__ import annotations

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

SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@reactor
class S3BucketPublicAccessBlockReactor(Reactor):
    """Turn on S3 Block Public Access on a bucket.

    Sets all four Block Public Access settings of the finding's bucket (block and ignore public
    ACLs, block public policies, restrict public buckets). Objects, ACLs and the bucket policy
    are not modified: S3 stops honouring their public parts. Rollback restores the previous
    settings, or removes the bucket's configuration when it had none.

    Controls: S3.8 (Block Public Access on the bucket), S3.3 (no public write: Block Public
    Access makes S3 ignore public-write ACLs and policies) and CloudTrail.6 (the bucket that
    stores a trail's logs is not public). A CloudTrail.6 finding that names the trail rather
    than the bucket is resolved to the trail's bucket (cloudtrail:GetTrail).
    """

    id = "s3-bucket-public-access-block"
    version = "1.0.0"
    control_ids = ("S3.8", "S3.3", "CloudTrail.6")
    permissions = (
        Permission(
            ("s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
            ("arn:aws:s3:::*",),
        ),
        Permission(("cloudtrail:GetTrail",), ("arn:aws:cloudtrail:*:*:trail/*",)),
    )

    def _bucket(self, finding: Finding, session: boto3.Session) -> str:
        """The finding's bucket; for a CloudTrail.6 finding on a trail, the trail's bucket."""
        types: tuple[str, ...] = ("AwsS3Bucket",)
        if finding.control_id == "CloudTrail.6":
            types += ("AwsCloudTrailTrail",)
        resource = finding.resource(*types)
        if resource.type == "AwsS3Bucket":
            return resource.name
        region = resource.region or finding.region
        cloudtrail = client("cloudtrail", session=session, region=region)
        try:
            trail = cloudtrail.get_trail(Name=resource.id)["Trail"]
        except cloudtrail.exceptions.ClientError as exc:
            raise ReactorError(f"cannot read trail {resource.id}: {exc}") from exc
        if not trail.get("S3BucketName"):
            raise ReactorError(f"trail {resource.id} names no S3 bucket")
        return str(trail["S3BucketName"])

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
        bucket = self._bucket(finding, session)
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
