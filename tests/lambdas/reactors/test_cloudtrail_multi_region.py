"""``cloudtrail-multi-region`` beyond its scenarios: an existing trail that covers the account.

The harness runs CloudTrail.1 and CloudTrail.3 from a failing state; here a logging multi-Region
trail already exists, so neither control needs a new trail.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.cloudtrail_multi_region.reactor import handler
from lambdas.reactors.cloudtrail_multi_region.scenarios import SCENARIOS, no_trail
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def test_a_logging_multi_region_trail_covers_both_controls(member: boto3.Session) -> None:
    member.client("s3").create_bucket(Bucket="org-logs")
    cloudtrail = member.client("cloudtrail")
    cloudtrail.create_trail(Name="everywhere", S3BucketName="org-logs", IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name="everywhere")
    target = no_trail(member, MEMBER)

    for scenario in SCENARIOS:
        result = run(handler, scenario_finding(scenario, target, MEMBER))
        assert result["status"] == "unchanged", scenario.control_id
        assert "trail/everywhere" in result["message"]
    assert [t["Name"] for t in cloudtrail.describe_trails()["trailList"]] == ["everywhere"]
