"""Scenarios of ``cloudfront-default-root-object`` for the harness: CloudFront.1."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

#: AWS's managed cache policy "CachingOptimized".
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def distribution_without_root(session: boto3.Session, account_id: str) -> Target:
    origin = {
        "Id": "site-bucket",
        "DomainName": f"site-{account_id}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    created = session.client("cloudfront").create_distribution(
        DistributionConfig={
            "CallerReference": f"site-{account_id}",
            "Comment": "static site without a default root object",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "site-bucket",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": CACHING_OPTIMIZED,
            },
        }
    )
    return Target(created["Distribution"]["ARN"], "AwsCloudFrontDistribution", details={})


def root_object(session: boto3.Session, target: Target) -> Any:
    distribution = target.resource_id.rsplit("/", 1)[-1]
    found = session.client("cloudfront").get_distribution_config(Id=distribution)
    return {"DefaultRootObject": found["DistributionConfig"].get("DefaultRootObject") or ""}


SCENARIOS = [
    Scenario(
        "CloudFront.1",
        "asff_findings/asr_afsbp_cloudfront.1.json",
        distribution_without_root,
        root_object,
        lambda state: state["DefaultRootObject"] != "",
    ),
]
