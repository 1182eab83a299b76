"""Reactor ``redshift-cluster-private`` (AFSBP Redshift.1)."""

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


def _region(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else default


def cluster_identifier(finding: Finding) -> str:
    """The cluster identifier of the finding's ``AwsRedshiftCluster`` (ARN or Details)."""
    resource = finding.resource("AwsRedshiftCluster")
    details = resource.details.get("AwsRedshiftCluster") or {}
    if resource.id.startswith("arn:"):
        return resource.id.split(":cluster:", 1)[-1]
    return str(details.get("ClusterIdentifier") or resource.id)


@reactor
class RedshiftClusterPrivateReactor(Reactor):
    """Make an Amazon Redshift cluster not publicly accessible.

    Sets PubliclyAccessible to false: the cluster's endpoint then resolves to private
    addresses only, reachable from its VPC and peered or connected networks. Clients that
    connect over the internet (BI tools, laptops, other clouds) lose access, so review the dry
    run and the cluster's clients first; dry run is the recommended mode for production
    clusters. The reactor refuses, changing nothing, a cluster that is not "available" (one
    being resized, paused or modified cannot take the change). Rollback makes the cluster
    public again, with the Elastic IP it had, if any.
    """

    id = "redshift-cluster-private"
    version = "1.0.0"
    recommended_mode = "dry_run"
    control_ids = ("Redshift.1",)
    permissions = (
        Permission(
            ("redshift:DescribeClusters", "redshift:ModifyCluster"),
            ("arn:aws:redshift:*:*:cluster:*",),
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsRedshiftCluster")
        name = cluster_identifier(finding)
        region = _region(resource.id, finding.region)
        redshift = client("redshift", session=session, region=region)
        cluster = redshift.describe_clusters(ClusterIdentifier=name)["Clusters"][0]
        if not cluster.get("PubliclyAccessible"):
            return self.result(finding, dry_run=dry_run, changes=[], message="not public")
        status = cluster.get("ClusterStatus")
        if status != "available":
            raise ReactorError(
                f"cluster {name} is {status!r}, not 'available': it cannot be modified now; "
                "run again once it is available"
            )
        elastic_ip = (cluster.get("ElasticIpStatus") or {}).get("ElasticIp")
        arn = resource.id if resource.id.startswith("arn:") else name
        change = Change("redshift:ModifyCluster", arn, "turn public access off", True, False)
        if not dry_run:
            redshift.modify_cluster(ClusterIdentifier=name, PubliclyAccessible=False)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"cluster": name, "region": region, "elastic_ip": elastic_ip},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        name, region = rollback_data.get("cluster"), rollback_data.get("region")
        if not name or not region:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs cluster and region")
        redshift = client("redshift", session=session, region=region)
        extra = (
            {"ElasticIp": rollback_data["elastic_ip"]} if rollback_data.get("elastic_ip") else {}
        )
        redshift.modify_cluster(ClusterIdentifier=name, PubliclyAccessible=True, **extra)
        change = Change("redshift:ModifyCluster", name, "turn public access back on", False, True)
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(RedshiftClusterPrivateReactor)
