"""SNS.1 reactor: a member account's topic encrypted at rest."""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.sns_topic_encryption.reactor import handler
from tests.lambdas.reactors.conftest import rollback, run
from tests.reactor_support import MEMBER, member_finding

pytestmark = pytest.mark.functional


def _finding(arn: str) -> dict:
    # No SNS.1 sample exists: the real S3.2 sample, pointed at this control and topic.
    return member_finding(
        "asff_findings/asr_afsbp_s3.2.json",
        resource_type="AwsSnsTopic",
        resource_id=arn,
        control_id="SNS.1",
    )


def _key(member: boto3.Session, arn: str) -> str | None:
    return (
        member.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"].get("KmsMasterKeyId")
    )


def test_topic_is_encrypted_and_rolled_back(member: boto3.Session, caller: boto3.Session) -> None:
    arn = member.client("sns").create_topic(Name="alerts")["TopicArn"]
    assert arn.split(":")[4] == MEMBER
    result = run(handler, _finding(arn))
    assert _key(member, arn) == "alias/aws/sns"
    assert caller.client("sns").list_topics()["Topics"] == []
    assert run(handler, _finding(arn))["status"] == "unchanged"
    rollback(handler, _finding(arn), result)
    assert not _key(member, arn)


def test_custom_key_and_dry_run(member: boto3.Session) -> None:
    arn = member.client("sns").create_topic(Name="alerts")["TopicArn"]
    result = run(handler, _finding(arn), dry_run=True, params={"kms_key_id": "alias/team"})
    assert result["changes"][0]["after"] == "alias/team" and not _key(member, arn)
    run(handler, _finding(arn), params={"kms_key_id": "alias/team"})
    assert _key(member, arn) == "alias/team"
