"""Scenarios of ``redshift-cluster-private`` for the harness (`reactor_sdk.testing`): Redshift.1."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

CLUSTER = "public-warehouse"


def _public_cluster(session: boto3.Session, account_id: str) -> Target:
    session.client("redshift").create_cluster(
        ClusterIdentifier=CLUSTER,
        NodeType="ra3.xlplus",
        MasterUsername="admin",
        MasterUserPassword="Example-Passw0rd",
        PubliclyAccessible=True,
    )
    return Target(
        f"arn:aws:redshift:us-east-1:{account_id}:cluster:{CLUSTER}",
        "AwsRedshiftCluster",
        {"AwsRedshiftCluster": {"ClusterIdentifier": CLUSTER}},
    )


def _public(session: boto3.Session, target: Target) -> Any:
    cluster = session.client("redshift").describe_clusters(ClusterIdentifier=CLUSTER)["Clusters"]
    return {"PubliclyAccessible": bool(cluster[0].get("PubliclyAccessible"))}


SCENARIOS = [
    Scenario(
        "Redshift.1",
        "asff_findings/asr_afsbp_rds.1.json",
        _public_cluster,
        _public,
        lambda state: not state["PubliclyAccessible"],
    ),
]
