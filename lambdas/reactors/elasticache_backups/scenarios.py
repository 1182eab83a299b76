"""Scenarios of ``elasticache-backups`` for the harness (`reactor_sdk.testing`): ElastiCache.1,
with the finding on the replication group and on one of its cache clusters."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def _group(session: boto3.Session) -> dict[str, Any]:
    created = session.client("elasticache").create_replication_group(
        ReplicationGroupId="sessions",
        ReplicationGroupDescription="web sessions",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=1,
    )
    group: dict[str, Any] = created["ReplicationGroup"]
    return group


def _on_group(session: boto3.Session, account_id: str) -> Target:
    return Target(_group(session)["ARN"], "AwsElastiCacheReplicationGroup", details={})


def _on_cluster(session: boto3.Session, account_id: str) -> Target:
    group = _group(session)
    arn = group["ARN"].replace(
        ":replicationgroup:sessions", f":cluster:{group['MemberClusters'][0]}"
    )
    return Target(arn, "AwsElastiCacheCacheCluster", details={})


def _retention(session: boto3.Session, target: Target) -> Any:
    found = session.client("elasticache").describe_replication_groups(ReplicationGroupId="sessions")
    return found["ReplicationGroups"][0]["SnapshotRetentionLimit"]


def _backed_up(days: Any) -> bool:
    return isinstance(days, int) and days >= 1


SCENARIOS = [
    Scenario(
        "ElastiCache.1",
        "asff_findings/asr_afsbp_s3.2.json",
        _on_group,
        _retention,
        _backed_up,
        name="replication-group",
    ),
    Scenario(
        "ElastiCache.1",
        "asff_findings/asr_afsbp_s3.2.json",
        _on_cluster,
        _retention,
        _backed_up,
        params={"retention_days": 14},
        name="cache-cluster",
    ),
]
