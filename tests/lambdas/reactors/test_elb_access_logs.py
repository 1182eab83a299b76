"""``elb-access-logs`` beyond its scenarios: no default bucket, so it refuses until one is set.

The harness runs the ELB.5 scenarios (ALB and CLB) with a bucket parameter.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.elb_access_logs.reactor import handler
from lambdas.reactors.elb_access_logs.scenarios import SCENARIOS, alb_without_logs
from reactor_sdk import ReactorParamsError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def test_refuses_without_a_bucket(member: boto3.Session) -> None:
    target = alb_without_logs(member, MEMBER)
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)

    with pytest.raises(ReactorParamsError, match="set the 'bucket' parameter"):
        run(handler, finding, dry_run=True)
    attributes = member.client("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=target.resource_id
    )["Attributes"]
    assert {a["Key"]: a["Value"] for a in attributes}.get("access_logs.s3.bucket", "") == ""
