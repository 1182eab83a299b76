"""Reactor ``cloudtrail-multi-region`` (AFSBP CloudTrail.1, CloudTrail.3)."""

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

#: Buckets the reactor creates are named ``<prefix><account>-<region>`` (its only S3 grant).
BUCKET_PREFIX = "ouroboros-cloudtrail-"


def bucket_policy(bucket: str, account: str, region: str, trail: str) -> dict[str, Any]:
    """The policy CloudTrail needs to deliver the trail's logs to ``bucket`` (and only it)."""
    source = {
        "StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:{region}:{account}:trail/{trail}"}
    }
    service = {"Service": "cloudtrail.amazonaws.com"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": service,
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": source,
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": service,
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*",
                "Condition": {
                    "StringEquals": {
                        **source["StringEquals"],
                        "s3:x-amz-acl": "bucket-owner-full-control",
                    }
                },
            },
        ],
    }


def _logging(cloudtrail: Any, trail: Mapping[str, Any]) -> bool:
    try:
        return bool(cloudtrail.get_trail_status(Name=trail["TrailARN"]).get("IsLogging"))
    except cloudtrail.exceptions.ClientError:
        return False


def covering_trail(cloudtrail: Any, multi_region: bool) -> str | None:
    """The ARN of a trail that already satisfies the control, or None.

    With ``multi_region``: a multi-Region trail that logs (an organization trail counts: the
    management account runs it, a member cannot see its status); otherwise any logging trail.
    """
    for trail in cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", []):
        if multi_region and not trail.get("IsMultiRegionTrail"):
            continue
        if trail.get("IsOrganizationTrail") or _logging(cloudtrail, trail):
            return str(trail["TrailARN"])
    return None


@reactor
class CloudTrailMultiRegionReactor(Reactor):
    """Create and start a multi-Region CloudTrail trail when the account has none.

    CloudTrail.1 asks for at least one logging multi-Region trail, CloudTrail.3 for at least
    one logging trail. Nothing changes when a trail already satisfies the finding's control,
    including an organization trail that covers the account. Otherwise the reactor creates a
    multi-Region trail (parameter "trail_name") with log file validation and global service
    events, delivering to the S3 bucket named by "bucket_name", and starts logging. Without
    "bucket_name" it creates the bucket ouroboros-cloudtrail-<account>-<region> with the
    policy CloudTrail needs (S3 blocks public access on new buckets); a bucket you name must
    already allow CloudTrail to write. A trail that exists but does not log is left alone (it
    may have been stopped on purpose): the reactor adds its own.

    Needs admin approval at install: its rollback stops logging and deletes the trail it
    created (cloudtrail:StopLogging and cloudtrail:DeleteTrail are on the reactor-trust list
    of dangerous actions), and it writes a bucket policy. Rollback keeps the bucket and the
    logs already delivered.
    """

    id = "cloudtrail-multi-region"
    version = "1.0.0"
    control_ids = ("CloudTrail.1", "CloudTrail.3")
    permissions = (
        Permission(("cloudtrail:DescribeTrails",)),
        Permission(
            (
                "cloudtrail:GetTrailStatus",
                "cloudtrail:CreateTrail",
                "cloudtrail:StartLogging",
                "cloudtrail:StopLogging",
                "cloudtrail:DeleteTrail",
            ),
            ("arn:aws:cloudtrail:*:*:trail/*",),
        ),
        # Literal (verification parses it): the buckets named with BUCKET_PREFIX.
        Permission(
            ("s3:CreateBucket", "s3:PutBucketPolicy"), ("arn:aws:s3:::ouroboros-cloudtrail-*",)
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "trail_name": {
                "type": "string",
                "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$",
                "default": "ouroboros-multi-region-trail",
                "description": "name of the trail to create",
            },
            "bucket_name": {
                "type": "string",
                "pattern": "^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
                "default": "",
                "description": "existing bucket that allows CloudTrail to write; empty: create one",
            },
        },
    }

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        finding.resource("AwsAccount")
        account, region = finding.account_id, finding.region
        cloudtrail = client("cloudtrail", session=session, region=region)
        multi_region = finding.control_id != "CloudTrail.3"
        covering = covering_trail(cloudtrail, multi_region)
        if covering:
            return self.result(
                finding, dry_run=dry_run, changes=[], message=f"covered by trail {covering}"
            )
        trail = str(params["trail_name"])
        trail_arn = f"arn:aws:cloudtrail:{region}:{account}:trail/{trail}"
        bucket = str(params["bucket_name"]) or f"{BUCKET_PREFIX}{account}-{region}"
        create_bucket = not params["bucket_name"]
        changes = []
        if create_bucket:
            policy = bucket_policy(bucket, account, region, trail)
            changes += [
                Change("s3:CreateBucket", f"arn:aws:s3:::{bucket}", "create the log bucket"),
                Change(
                    "s3:PutBucketPolicy",
                    f"arn:aws:s3:::{bucket}",
                    "let CloudTrail deliver the trail's logs",
                    None,
                    policy,
                ),
            ]
        settings = {"S3BucketName": bucket, "IsMultiRegionTrail": True}
        settings |= {"EnableLogFileValidation": True, "IncludeGlobalServiceEvents": True}
        changes += [
            Change(
                "cloudtrail:CreateTrail", trail_arn, "create a multi-Region trail", None, settings
            ),
            Change("cloudtrail:StartLogging", trail_arn, "start logging", False, True),
        ]
        if not dry_run:
            if create_bucket:
                self._bucket_ensure(session, bucket, region)
                s3 = client("s3", session=session, region=region)
                s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
            try:
                cloudtrail.create_trail(Name=trail, **settings)
            except cloudtrail.exceptions.ClientError as exc:
                raise ReactorError(f"cannot create trail {trail}: {exc}") from exc
            cloudtrail.start_logging(Name=trail_arn)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=changes,
            rollback_data={
                "trail": trail,
                "trail_arn": trail_arn,
                "region": region,
                "bucket": bucket,
            },
        )

    def _bucket_ensure(self, session: boto3.Session, bucket: str, region: str) -> None:
        s3 = client("s3", session=session, region=region)
        extra: dict[str, Any] = {}
        if region != "us-east-1":
            extra["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            s3.create_bucket(Bucket=bucket, **extra)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass  # kept by an earlier rollback: reuse it
        except s3.exceptions.ClientError as exc:
            raise ReactorError(f"cannot create the log bucket {bucket}: {exc}") from exc

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        trail, trail_arn = rollback_data.get("trail"), rollback_data.get("trail_arn")
        if not trail or not trail_arn:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs trail and trail_arn")
        region = rollback_data.get("region") or finding.region
        # The trail lives in this region and account: its name is enough (and what moto reads).
        cloudtrail = client("cloudtrail", session=session, region=region)
        cloudtrail.stop_logging(Name=trail)
        cloudtrail.delete_trail(Name=trail)
        changes = [
            Change("cloudtrail:StopLogging", str(trail_arn), "stop logging", True, False),
            Change(
                "cloudtrail:DeleteTrail",
                str(trail_arn),
                f"delete the trail (bucket {rollback_data.get('bucket')} and its logs kept)",
            ),
        ]
        return self.result(finding, dry_run=False, changes=changes, operation="rollback")


handler = reactor_handler(CloudTrailMultiRegionReactor)
