"""CloudTrail.4 reactor: log file validation of a member account's trail."""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.cloudtrail_log_validation.reactor import handler
from tests.lambdas.reactors.conftest import rollback, run
from tests.reactor_support import MEMBER, member_finding

pytestmark = pytest.mark.functional


def _trail(member: boto3.Session) -> str:
    member.client("s3").create_bucket(Bucket="member-trail-logs")
    trail = member.client("cloudtrail").create_trail(
        Name="org-trail", S3BucketName="member-trail-logs"
    )
    return str(trail["TrailARN"])


def _finding(trail_arn: str) -> dict:
    # The real AWS docs sample for CloudTrail.2 (a trail finding), for CloudTrail.4.
    finding = member_finding(
        "asff_findings/docs_fsbp_cloudtrail.2_standard_control.json",
        resource_id=trail_arn,
        control_id="CloudTrail.4",
    )
    assert finding["AwsAccountId"] == MEMBER
    return finding


def _validating(member: boto3.Session) -> bool:
    return bool(
        member.client("cloudtrail").get_trail(Name="org-trail")["Trail"]["LogFileValidationEnabled"]
    )


def test_validation_is_turned_on_and_off(member: boto3.Session, caller: boto3.Session) -> None:
    arn = _trail(member)
    assert arn.split(":")[4] == MEMBER
    result = run(handler, _finding(arn))
    assert result["status"] == "changed" and _validating(member)
    assert caller.client("cloudtrail").describe_trails()["trailList"] == []
    rollback(handler, _finding(arn), result)
    assert not _validating(member)


def test_dry_run_changes_nothing(member: boto3.Session) -> None:
    arn = _trail(member)
    assert run(handler, _finding(arn), dry_run=True)["status"] == "would_change"
    assert not _validating(member)
