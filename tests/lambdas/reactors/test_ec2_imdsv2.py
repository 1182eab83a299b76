"""``ec2-imdsv2`` beyond its scenario: the MetadataNoToken precheck refuses, ``force`` overrides.

The harness (``test_scenarios.py``) runs the EC2.8 scenario (dry run, apply, rollback, untouched
caller); here the instance has made IMDSv1 calls, which CloudWatch counts in MetadataNoToken.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from lambdas.reactors.ec2_imdsv2.reactor import handler
from lambdas.reactors.ec2_imdsv2.scenarios import SCENARIOS, instance_imdsv1
from reactor_sdk import ReactorError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def _tokens(member: boto3.Session, instance_id: str) -> str:
    reservations = member.client("ec2").describe_instances(InstanceIds=[instance_id])
    return str(reservations["Reservations"][0]["Instances"][0]["MetadataOptions"]["HttpTokens"])


def test_refuses_an_instance_that_made_imdsv1_calls_unless_forced(member: boto3.Session) -> None:
    target = instance_imdsv1(member, MEMBER)
    instance_id = target.resource_id.rsplit("/", 1)[-1]
    member.client("cloudwatch").put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "MetadataNoToken",
                "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                "Timestamp": datetime.now(UTC) - timedelta(days=2),
                "Value": 3,
            }
        ],
    )
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)

    for dry_run in (True, False):
        with pytest.raises(ReactorError, match=r"refused: .*3 metadata call\(s\) without a token"):
            run(handler, finding, dry_run=dry_run)
    assert _tokens(member, instance_id) == "optional"

    done = run(handler, finding, params={"force": True})
    assert done["status"] == "changed"
    assert _tokens(member, instance_id) == "required"
