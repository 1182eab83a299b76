"""Scenarios of ``rds-snapshot-private`` for the harness (`reactor_sdk.testing`): RDS.1 (instance
and cluster snapshots) and DocumentDB.3.

moto creates no DocumentDB (engine ``docdb``) cluster, so the DocumentDB.3 scenario shares an
Aurora cluster snapshot: DocumentDB cluster snapshots are read and shared through the same RDS
calls (``rds:DescribeDBClusterSnapshotAttributes``, ``rds:ModifyDBClusterSnapshotAttribute``).
"""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

#: A partner account the snapshots are also shared with: that share must stay.
PARTNER = "333333333333"


def _instance_snapshot(session: boto3.Session, account_id: str) -> Target:
    rds = session.client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="orders",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="orders",
        MasterUserPassword="not-a-real-secret-1",
        AllocatedStorage=20,
    )
    snapshot = rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="shared")
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="shared", AttributeName="restore", ValuesToAdd=["all", PARTNER]
    )
    return Target(snapshot["DBSnapshot"]["DBSnapshotArn"], "AwsRdsDbSnapshot", details={})


def _cluster_snapshot(session: boto3.Session, account_id: str) -> Target:
    rds = session.client("rds")
    rds.create_db_cluster(
        DBClusterIdentifier="catalog",
        Engine="aurora-postgresql",
        MasterUsername="catalog",
        MasterUserPassword="not-a-real-secret-1",
    )
    snapshot = rds.create_db_cluster_snapshot(
        DBClusterIdentifier="catalog", DBClusterSnapshotIdentifier="shared-cluster"
    )
    rds.modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier="shared-cluster",
        AttributeName="restore",
        ValuesToAdd=["all", PARTNER],
    )
    arn = snapshot["DBClusterSnapshot"]["DBClusterSnapshotArn"]
    return Target(arn, "AwsRdsDbClusterSnapshot", details={})


def _restore(session: boto3.Session, target: Target) -> Any:
    rds = session.client("rds")
    identifier = target.resource_id.split(":", 6)[-1]
    if ":cluster-snapshot:" in target.resource_id:
        found = rds.describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier=identifier)
        attributes = found["DBClusterSnapshotAttributesResult"]["DBClusterSnapshotAttributes"]
    else:
        found = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=identifier)
        attributes = found["DBSnapshotAttributesResult"]["DBSnapshotAttributes"]
    return sorted(
        v for a in attributes if a["AttributeName"] == "restore" for v in a["AttributeValues"]
    )


def _private(values: Any) -> bool:
    return "all" not in values and PARTNER in values


SCENARIOS = [
    Scenario(
        "RDS.1",
        "asff_findings/asr_afsbp_rds.1.json",
        _instance_snapshot,
        _restore,
        _private,
        name="instance-snapshot",
    ),
    Scenario(
        "RDS.1",
        "asff_findings/asr_afsbp_rds.1.json",
        _cluster_snapshot,
        _restore,
        _private,
        name="cluster-snapshot",
    ),
    Scenario(
        "DocumentDB.3",
        "asff_findings/asr_afsbp_rds.1.json",
        _cluster_snapshot,
        _restore,
        _private,
    ),
]
