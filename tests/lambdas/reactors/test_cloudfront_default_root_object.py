"""``cloudfront-default-root-object`` beyond its scenario: the custom-origin precheck and a
rollback refused when the distribution changed after the remediation.

The harness runs the CloudFront.1 scenario (an S3 origin); here "/" goes to a custom origin, an
application server that answers "/" itself.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.cloudfront_default_root_object.reactor import handler
from lambdas.reactors.cloudfront_default_root_object.scenarios import (
    CACHING_OPTIMIZED,
    SCENARIOS,
    distribution_without_root,
    root_object,
)
from reactor_sdk import ReactorError, ReactorRollbackError
from reactor_sdk.testing import Target
from tests.lambdas.reactors.conftest import rollback, run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def _app_distribution(member: boto3.Session) -> Target:
    origin = {
        "Id": "app",
        "DomainName": "app.example.com",
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
        },
    }
    created = member.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": "app",
            "Comment": "an application answers /",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "app",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": CACHING_OPTIMIZED,
            },
        }
    )
    return Target(created["Distribution"]["ARN"], "AwsCloudFrontDistribution", details={})


def test_refuses_a_custom_origin_unless_allowed(member: boto3.Session) -> None:
    target = _app_distribution(member)
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)

    for dry_run in (True, False):
        with pytest.raises(ReactorError, match="custom origin: a default root object would"):
            run(handler, finding, dry_run=dry_run)
    assert root_object(member, target) == {"DefaultRootObject": ""}

    done = run(handler, finding, params={"allow_custom_origin": True, "root_object": "home.html"})
    assert done["status"] == "changed"
    assert root_object(member, target) == {"DefaultRootObject": "home.html"}


def test_rollback_leaves_a_root_object_changed_since(member: boto3.Session) -> None:
    target = distribution_without_root(member, MEMBER)
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)
    done = run(handler, finding)
    cloudfront = member.client("cloudfront")
    distribution = target.resource_id.rsplit("/", 1)[-1]
    found = cloudfront.get_distribution_config(Id=distribution)
    config = {**found["DistributionConfig"], "DefaultRootObject": "start.html"}
    cloudfront.update_distribution(
        Id=distribution, IfMatch=found["ETag"], DistributionConfig=config
    )

    with pytest.raises(ReactorRollbackError, match=r"'start\.html', not 'index\.html'"):
        rollback(handler, finding, done)
    assert root_object(member, target) == {"DefaultRootObject": "start.html"}
