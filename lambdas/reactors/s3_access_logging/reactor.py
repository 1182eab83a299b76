"""Reactor ``s3-access-logging`` (AFSBP S3.9, CloudTrail.7)."""

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

LOGGING_SERVICE = "logging.s3.amazonaws.com"
LOG_DELIVERY_GROUP = "http://acs.amazonaws.com/groups/s3/LogDelivery"
#: GetBucketLocation's answer for the two regions it does not name as themselves.
_LEGACY_LOCATIONS = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` of ``values`` replaced (other braces stay as written)."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def bucket_region(s3: Any, bucket: str, role: str) -> str:
    """The region of ``bucket``; `ReactorError` naming its ``role`` when it cannot be read."""
    try:
        location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    except ClientError as exc:
        raise ReactorError(f"cannot read the {role} bucket {bucket}: {exc}") from exc
    return _LEGACY_LOCATIONS.get(location, location)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_accepts_logs(policy: Mapping[str, Any]) -> bool:
    """Whether a bucket policy lets the S3 logging service put objects."""
    for statement in _as_list(policy.get("Statement") or []):
        principal = statement.get("Principal") or {}
        services = _as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
        actions = _as_list(statement.get("Action", []))
        if (
            statement.get("Effect") == "Allow"
            and LOGGING_SERVICE in services
            and ("s3:PutObject" in actions or "s3:*" in actions)
        ):
            return True
    return False


def accepts_logs(s3: Any, bucket: str) -> bool:
    """Whether ``bucket`` accepts server access logs: by policy, or by the legacy ACL grant."""
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchBucketPolicy":
            raise ReactorError(f"cannot read the policy of target bucket {bucket}: {exc}") from exc
        policy = {}
    if policy_accepts_logs(policy):
        return True
    grants = s3.get_bucket_acl(Bucket=bucket).get("Grants", [])
    return any(
        g.get("Grantee", {}).get("URI") == LOG_DELIVERY_GROUP
        and g.get("Permission") in ("WRITE", "FULL_CONTROL")
        for g in grants
    )


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


@reactor
class S3AccessLoggingReactor(Reactor):
    """Turn on server access logging of a bucket, or of the bucket a CloudTrail trail writes to.

    For S3.9 the finding's bucket, for CloudTrail.7 the S3 bucket of the finding's trail (read
    with cloudtrail:GetTrail), gets server access logging into the "target_bucket" under
    "target_prefix". Both parameters may use {account_id} (the finding's account), {region}
    (the logged bucket's region) and {bucket} (the logged bucket): S3 delivers logs only to a
    bucket of the same account and region, so the default names one log bucket per account
    and region, s3-access-logs-{account_id}-{region}. Ouroboros does not create that bucket.

    Before changing anything the reactor refuses, with the reason, when the target bucket is
    the logged bucket itself, cannot be read, lies in another region, or neither its policy
    (an Allow of s3:PutObject to logging.s3.amazonaws.com) nor its ACL (WRITE for the
    LogDelivery group) lets S3 deliver logs: logging would be on, but no log would arrive.
    A bucket that already logs stays as it is. Rollback restores the previous logging
    configuration (none: logging off).
    """

    id = "s3-access-logging"
    version = "1.0.0"
    control_ids = ("S3.9", "CloudTrail.7")
    permissions = (
        Permission(
            (
                "s3:GetBucketLogging",
                "s3:PutBucketLogging",
                "s3:GetBucketLocation",
                "s3:GetBucketPolicy",
                "s3:GetBucketAcl",
            ),
            ("arn:aws:s3:::*",),
        ),
        Permission(("cloudtrail:GetTrail",), ("arn:aws:cloudtrail:*:*:trail/*",)),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "target_bucket": {
                "type": "string",
                "minLength": 3,
                "maxLength": 200,
                "default": "s3-access-logs-{account_id}-{region}",
                "description": "bucket that receives the logs (same account and region); "
                "may use {account_id}, {region} and {bucket}",
            },
            "target_prefix": {
                "type": "string",
                "maxLength": 500,
                "default": "{bucket}/",
                "description": "key prefix of the log objects; may use {account_id}, {region} "
                "and {bucket}",
            },
        },
    }

    def logged_bucket(self, finding: Finding, session: boto3.Session) -> str:
        """The bucket whose access the control wants logged: the finding's, or its trail's."""
        if finding.control_id == "CloudTrail.7":
            trail = finding.resource("AwsCloudTrailTrail").id
            cloudtrail = client(
                "cloudtrail", session=session, region=_region(trail, finding.region)
            )
            try:
                found = cloudtrail.get_trail(Name=trail)["Trail"]
            except ClientError as exc:
                raise ReactorError(f"cannot read the trail {trail}: {exc}") from exc
            if not found.get("S3BucketName"):
                raise ReactorError(f"the trail {trail} names no S3 bucket")
            return str(found["S3BucketName"])
        return finding.resource("AwsS3Bucket").name

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        bucket = self.logged_bucket(finding, session)
        region = bucket_region(client("s3", session=session), bucket, "logged")
        s3 = client("s3", session=session, region=region)
        try:
            current = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
        except ClientError as exc:
            raise ReactorError(f"cannot read the logging of bucket {bucket}: {exc}") from exc
        if current:
            return self.result(
                finding, dry_run=dry_run, changes=[], message=f"{bucket} already logs"
            )
        values = {"account_id": finding.account_id, "region": region, "bucket": bucket}
        target = fill(params["target_bucket"], values)
        prefix = fill(params["target_prefix"], values)
        self.check_target(s3, bucket, region, target)
        wanted = {"TargetBucket": target, "TargetPrefix": prefix}
        change = Change(
            "s3:PutBucketLogging",
            f"arn:aws:s3:::{bucket}",
            f"log server access to s3://{target}/{prefix}",
            None,
            wanted,
        )
        if not dry_run:
            try:
                s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": wanted})
            except ClientError as exc:
                raise ReactorError(f"S3 refused logging of {bucket} to {target}: {exc}") from exc
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"bucket": bucket, "region": region, "previous": None},
        )

    def check_target(self, s3: Any, bucket: str, region: str, target: str) -> None:
        """Refuse a target bucket that cannot receive the logs of ``bucket``."""
        if target == bucket:
            raise ReactorError(
                f"refusing to log {bucket} into itself (each log write would be logged again): "
                "set target_bucket to another bucket"
            )
        target_region = bucket_region(s3, target, "target")
        if target_region != region:
            raise ReactorError(
                f"target bucket {target} is in {target_region}, but S3 delivers the logs of "
                f"{bucket} only to a bucket in {region}"
            )
        if not accepts_logs(s3, target):
            raise ReactorError(
                f"target bucket {target} does not let S3 deliver logs: allow s3:PutObject to "
                f"{LOGGING_SERVICE} in its policy (or grant the LogDelivery group WRITE)"
            )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        bucket = rollback_data.get("bucket")
        if not bucket or "previous" not in rollback_data:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs bucket and previous")
        previous = rollback_data["previous"]
        s3 = client("s3", session=session, region=rollback_data.get("region") or finding.region)
        status = {"LoggingEnabled": previous} if previous else {}
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=status)
        change = Change(
            "s3:PutBucketLogging",
            f"arn:aws:s3:::{bucket}",
            "restore the previous server access logging",
            None,
            previous,
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(S3AccessLoggingReactor)
