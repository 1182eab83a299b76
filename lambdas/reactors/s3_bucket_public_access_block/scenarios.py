"""Scenarios of ``s3-bucket-public-access-block`` for the harness (`reactor_sdk.testing`): S3.8."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
#: A bucket that blocks public ACLs only: rollback must restore exactly this.
PARTIAL = {**dict.fromkeys(SETTINGS, False), "BlockPublicAcls": True}


def bucket_name(target: Target) -> str:
    """The bucket of an ``arn:aws:s3:::name`` target."""
    return target.resource_id.rsplit(":", 1)[-1]


def _bucket(session: boto3.Session, account_id: str, suffix: str) -> Target:
    bucket = f"bpa-{suffix}-{account_id}"
    session.client("s3").create_bucket(Bucket=bucket)
    return Target(f"arn:aws:s3:::{bucket}", "AwsS3Bucket")


def no_block(session: boto3.Session, account_id: str) -> Target:
    """A bucket without any Block Public Access configuration."""
    return _bucket(session, account_id, "none")


def partial_block(session: boto3.Session, account_id: str) -> Target:
    """A bucket that blocks public ACLs but not public policies."""
    target = _bucket(session, account_id, "partial")
    session.client("s3").put_public_access_block(
        Bucket=bucket_name(target), PublicAccessBlockConfiguration=PARTIAL
    )
    return target


def block_settings(session: boto3.Session, target: Target) -> Any:
    """The bucket's Block Public Access settings, or None when it has no configuration."""
    s3 = session.client("s3")
    try:
        config = s3.get_public_access_block(Bucket=bucket_name(target))
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration":
            return None
        raise
    return {k: bool(v) for k, v in config["PublicAccessBlockConfiguration"].items()}


def all_blocked(settings: Any) -> bool:
    """True when the four settings are on."""
    return bool(settings) and all(settings.get(k) for k in SETTINGS)


def public_write_acl(session: boto3.Session, account_id: str) -> Target:
    """S3.3: a bucket whose ACL lets everyone write, without Block Public Access."""
    target = _bucket(session, account_id, "write")
    s3 = session.client("s3")
    owner = s3.get_bucket_acl(Bucket=bucket_name(target))["Owner"]
    everyone = {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}
    s3.put_bucket_acl(
        Bucket=bucket_name(target),
        AccessControlPolicy={
            "Owner": owner,
            "Grants": [
                {
                    "Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]},
                    "Permission": "FULL_CONTROL",
                },
                {"Grantee": everyone, "Permission": "WRITE"},
            ],
        },
    )
    return target


def trail_bucket(session: boto3.Session, account_id: str) -> Target:
    """CloudTrail.6: the finding names a trail; its log bucket has no Block Public Access."""
    target = _bucket(session, account_id, "trail-logs")
    trail = session.client("cloudtrail").create_trail(
        Name="audit", S3BucketName=bucket_name(target), IsMultiRegionTrail=True
    )
    return Target(trail["TrailARN"], "AwsCloudTrailTrail", {})


def trail_block_settings(session: boto3.Session, target: Target) -> Any:
    """`block_settings` of the bucket the trail ``target`` writes to."""
    trail = session.client("cloudtrail").get_trail(Name=target.resource_id)["Trail"]
    return block_settings(session, Target(f"arn:aws:s3:::{trail['S3BucketName']}"))


#: No S3.8 sample exists: the real S3.2 sample (a bucket), pointed at each control.
SAMPLE = "asff_findings/asr_afsbp_s3.2.json"

SCENARIOS = [
    Scenario("S3.8", SAMPLE, no_block, block_settings, all_blocked, name="none"),
    Scenario("S3.8", SAMPLE, partial_block, block_settings, all_blocked, name="partial"),
    Scenario("S3.3", SAMPLE, public_write_acl, block_settings, all_blocked),
    Scenario(
        "CloudTrail.6",
        "asff_findings/asr_afsbp_cloudtrail.1.json",
        trail_bucket,
        trail_block_settings,
        all_blocked,
    ),
]
