"""``vpc-flow-logs`` beyond its scenario: without a destination bucket it refuses, clearly.

``log_bucket_arn`` has no sensible default (the bucket is the operator's); a control configured
without it must name the missing parameter and change nothing.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.vpc_flow_logs.reactor import handler
from lambdas.reactors.vpc_flow_logs.scenarios import SCENARIOS, vpc_accept_only
from reactor_sdk import ReactorError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def test_refuses_without_a_destination_bucket(member: boto3.Session) -> None:
    target = vpc_accept_only(member, MEMBER)
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)
    flow_logs = member.client("ec2").describe_flow_logs()["FlowLogs"]

    with pytest.raises(ReactorError, match="set the log_bucket_arn parameter"):
        run(handler, finding, params={})
    assert member.client("ec2").describe_flow_logs()["FlowLogs"] == flow_logs
