"""Reactor ``eks-endpoint-private`` (AFSBP EKS.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

#: The endpoint settings of ``resourcesVpcConfig`` this reactor changes and restores.
ENDPOINT_KEYS = ("endpointPublicAccess", "endpointPrivateAccess", "publicAccessCidrs")


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


def endpoint_access(cluster: Mapping[str, Any]) -> dict[str, Any]:
    """The endpoint settings of ``cluster`` (AWS defaults where unset)."""
    config = cluster.get("resourcesVpcConfig") or {}
    return {
        "endpointPublicAccess": bool(config.get("endpointPublicAccess", True)),
        "endpointPrivateAccess": bool(config.get("endpointPrivateAccess", False)),
        "publicAccessCidrs": list(config.get("publicAccessCidrs") or ["0.0.0.0/0"]),
    }


@reactor
class EksEndpointPrivateReactor(Reactor):
    """Make an Amazon EKS cluster's Kubernetes API endpoint private.

    Turns public access to the cluster's API server endpoint off and private access on, so
    the API is reachable only from the cluster's VPC (and networks connected to it). Nodes
    and pods keep working through the private endpoint. People and pipelines that run
    kubectl or Helm from outside the VPC lose access: dry run is the recommended mode, and
    the change should be applied once they have a way in (VPN, bastion, in-VPC runners).

    Prechecks, refusing with the reason and changing nothing: the cluster must be ACTIVE (EKS
    takes one update at a time), and its VPC must have DNS support and DNS hostnames turned on,
    without which nodes cannot resolve the private endpoint and would lose the API. Rollback
    restores public access, private access and the allowed public CIDR blocks as they were.
    """

    id = "eks-endpoint-private"
    version = "1.0.0"
    recommended_mode = "dry_run"
    control_ids = ("EKS.1",)
    permissions = (
        Permission(
            ("eks:DescribeCluster", "eks:UpdateClusterConfig"),
            ("arn:aws:eks:*:*:cluster/*",),
        ),
        Permission(("ec2:DescribeSubnets",)),
        Permission(("ec2:DescribeVpcAttribute",), ("arn:aws:ec2:*:*:vpc/*",)),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        arn = finding.resource("AwsEksCluster").id
        name = arn.rsplit("/", 1)[-1]
        region = _region(arn, finding.region)
        eks = client("eks", session=session, region=region)
        cluster = eks.describe_cluster(name=name)["cluster"]
        before = endpoint_access(cluster)
        if not before["endpointPublicAccess"]:
            return self.result(finding, dry_run=dry_run, changes=[], message="endpoint private")
        if cluster.get("status") != "ACTIVE":
            raise ReactorError(
                f"cluster {name} is {cluster.get('status')}, not ACTIVE: EKS cannot take the "
                "update now; run again once it is ACTIVE"
            )
        self._vpc_dns_check(session, region, cluster)
        after = {**before, "endpointPublicAccess": False, "endpointPrivateAccess": True}
        change = Change(
            "eks:UpdateClusterConfig",
            cluster.get("arn") or arn,
            "make the API endpoint private (public access off, private access on)",
            before,
            after,
        )
        if not dry_run:
            eks.update_cluster_config(
                name=name,
                resourcesVpcConfig={"endpointPublicAccess": False, "endpointPrivateAccess": True},
            )
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"cluster": name, "region": region, "previous": before},
        )

    @staticmethod
    def _vpc_dns_check(session: boto3.Session, region: str, cluster: Mapping[str, Any]) -> None:
        config = cluster.get("resourcesVpcConfig") or {}
        ec2 = client("ec2", session=session, region=region)
        vpc = config.get("vpcId")
        if not vpc and config.get("subnetIds"):  # vpcId missing: its subnets name it too
            subnets = ec2.describe_subnets(SubnetIds=config["subnetIds"][:1])["Subnets"]
            vpc = subnets[0]["VpcId"] if subnets else None
        if not vpc:
            raise ReactorError(f"cluster {cluster.get('name')} reports no VPC: cannot check DNS")
        for attribute, key in (
            ("enableDnsSupport", "EnableDnsSupport"),
            ("enableDnsHostnames", "EnableDnsHostnames"),
        ):
            found = ec2.describe_vpc_attribute(VpcId=vpc, Attribute=attribute)
            if not (found.get(key) or {}).get("Value"):
                raise ReactorError(
                    f"VPC {vpc} of cluster {cluster.get('name')} has {attribute} off: nodes "
                    "could not resolve a private endpoint; turn it on first"
                )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        name, previous = rollback_data.get("cluster"), rollback_data.get("previous")
        if not name or not isinstance(previous, Mapping):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs cluster and previous")
        region = rollback_data.get("region") or finding.region
        eks = client("eks", session=session, region=region)
        restored = {k: previous[k] for k in ENDPOINT_KEYS if k in previous}
        eks.update_cluster_config(name=name, resourcesVpcConfig=restored)
        change = Change(
            "eks:UpdateClusterConfig", name, "restore the endpoint access", None, restored
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(EksEndpointPrivateReactor)
