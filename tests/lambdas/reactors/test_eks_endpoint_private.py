"""``eks-endpoint-private`` beyond its scenario: VPC DNS off, or a cluster not ACTIVE, refused.

The harness (``test_scenarios.py``) runs EKS.1 on an ACTIVE cluster whose VPC has DNS support
and DNS hostnames on (dry run, apply, rollback, untouched caller). Here one is missing: nodes
could not resolve the private endpoint, or EKS could not take the update now. moto's EKS API
cannot set a cluster's status, so its backend does.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto.eks.models import eks_backends

from lambdas.reactors.eks_endpoint_private.reactor import handler
from lambdas.reactors.eks_endpoint_private.scenarios import CLUSTER, SCENARIOS
from reactor_sdk import ReactorError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional
PUBLIC = {"endpointPublicAccess": True, "endpointPrivateAccess": False}


def _cluster(member: boto3.Session) -> tuple[dict[str, Any], str]:
    """The scenario's cluster: its finding and its VPC id."""
    target = SCENARIOS[0].arrange(member, MEMBER)
    found = member.client("eks").describe_cluster(name=CLUSTER)["cluster"]
    subnet = found["resourcesVpcConfig"]["subnetIds"][0]
    vpc = member.client("ec2").describe_subnets(SubnetIds=[subnet])["Subnets"][0]["VpcId"]
    return scenario_finding(SCENARIOS[0], target, MEMBER), vpc


def _endpoint(member: boto3.Session) -> Any:
    config = member.client("eks").describe_cluster(name=CLUSTER)["cluster"]["resourcesVpcConfig"]
    return {k: config.get(k) for k in PUBLIC}


def test_refuses_when_the_vpc_has_dns_support_or_dns_hostnames_off(
    member: boto3.Session,
) -> None:
    finding, vpc = _cluster(member)
    ec2 = member.client("ec2")
    for attribute, name in (
        ("EnableDnsHostnames", "enableDnsHostnames"),
        ("EnableDnsSupport", "enableDnsSupport"),
    ):
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, **{attribute: {"Value": False}})
        for dry_run in (True, False):
            with pytest.raises(
                ReactorError,
                match=f"VPC {vpc} of cluster {CLUSTER} has {name} off: nodes could not resolve",
            ):
                run(handler, finding, dry_run=dry_run)
        assert _endpoint(member) == PUBLIC


def test_refuses_a_cluster_that_is_not_active(member: boto3.Session) -> None:
    finding, _ = _cluster(member)
    eks_backends[MEMBER]["us-east-1"].clusters[CLUSTER].status = "UPDATING"

    for dry_run in (True, False):
        with pytest.raises(
            ReactorError, match=f"cluster {CLUSTER} is UPDATING, not ACTIVE: EKS cannot take"
        ):
            run(handler, finding, dry_run=dry_run)
    assert _endpoint(member) == PUBLIC
