"""Reactor ``elasticache-backups`` (AFSBP ElastiCache.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorError,
    ReactorInputError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

#: ASFF types Security Hub has used for ElastiCache clusters and replication groups.
RESOURCE_TYPES = ("AwsElastiCacheCacheCluster", "AwsElastiCacheReplicationGroup", "Other")


def _resource(arn: str) -> tuple[str, str, str]:
    """Region, kind (``cluster`` or ``replicationgroup``) and id of an ElastiCache ARN."""
    parts = arn.split(":")
    if (
        len(parts) != 7
        or parts[2] != "elasticache"
        or parts[5] not in ("cluster", "replicationgroup")
    ):
        raise ReactorInputError(f"{arn!r} is not the ARN of an ElastiCache cluster or group")
    return parts[3], parts[5], parts[6]


def replication_groups(elasticache: Any) -> list[dict[str, Any]]:
    """Every replication group of the client's account and region."""
    groups: list[dict[str, Any]] = []
    for page in elasticache.get_paginator("describe_replication_groups").paginate():
        groups += page.get("ReplicationGroups", [])
    return groups


def group_of(elasticache: Any, kind: str, name: str) -> dict[str, Any]:
    """The replication group the finding names, or the one the cluster ``name`` belongs to."""
    try:
        if kind == "replicationgroup":
            found = elasticache.describe_replication_groups(ReplicationGroupId=name)
            return dict(found["ReplicationGroups"][0])
        groups = replication_groups(elasticache)
    except ClientError as exc:
        raise ReactorError(
            f"cannot read the ElastiCache replication group of {name}: {exc}"
        ) from exc
    for group in groups:
        if name in group.get("MemberClusters", []):
            return dict(group)
    raise ReactorError(
        f"cache cluster {name} belongs to no replication group: a standalone cluster (or a "
        "Memcached one) is out of this reactor's reach; move it into a replication group, or "
        "set its snapshot retention by hand"
    )


@reactor
class ElastiCacheBackupsReactor(Reactor):
    """Schedule automatic daily backups of an ElastiCache (Redis OSS or Valkey) replication group.

    Sets the snapshot retention limit of the finding's replication group (or of the group the
    finding's cache cluster belongs to) to "retention_days" days (default 7), so ElastiCache
    takes a daily snapshot in the group's backup window and keeps that many. Nodes, endpoints
    and the backup window stay as they are; nothing changes when the group already keeps
    backups. A group that is not "available" (being modified, scaled, snapshotted) is refused,
    since ElastiCache would reject the change; a standalone cache cluster is refused with the
    reason. Backups are billed beyond the free allowance. Rollback sets the retention limit
    back (0: automatic backups off).
    """

    id = "elasticache-backups"
    version = "1.0.0"
    control_ids = ("ElastiCache.1",)
    permissions = (
        Permission(
            ("elasticache:DescribeReplicationGroups", "elasticache:ModifyReplicationGroup"),
            ("arn:aws:elasticache:*:*:replicationgroup:*",),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "retention_days": {
                "type": "integer",
                "minimum": 1,
                "maximum": 35,
                "default": 7,
                "description": "days ElastiCache keeps each automatic snapshot",
            }
        },
    }

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        region, kind, name = _resource(finding.resource(*RESOURCE_TYPES).id)
        elasticache = client("elasticache", session=session, region=region)
        group = group_of(elasticache, kind, name)
        group_id, previous = (
            group["ReplicationGroupId"],
            int(group.get("SnapshotRetentionLimit") or 0),
        )
        if previous > 0:
            return self.result(
                finding, dry_run=dry_run, changes=[], message=f"{group_id} keeps backups"
            )
        if group.get("Status") != "available":
            raise ReactorError(
                f"replication group {group_id} is {group.get('Status')!r}, not 'available': "
                "retry when it is"
            )
        days = int(params["retention_days"])
        change = Change(
            "elasticache:ModifyReplicationGroup",
            str(group.get("ARN") or group_id),
            f"keep automatic backups for {days} day(s)",
            {"SnapshotRetentionLimit": previous},
            {"SnapshotRetentionLimit": days},
        )
        if not dry_run:
            self.retention_set(elasticache, group_id, days)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"group_id": group_id, "region": region, "previous": previous},
        )

    @staticmethod
    def retention_set(elasticache: Any, group_id: str, days: int) -> None:
        try:
            elasticache.modify_replication_group(
                ReplicationGroupId=group_id, SnapshotRetentionLimit=days, ApplyImmediately=True
            )
        except ClientError as exc:
            raise ReactorError(f"ElastiCache refused the change of {group_id}: {exc}") from exc

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        group_id, previous = rollback_data.get("group_id"), rollback_data.get("previous")
        if not group_id or not isinstance(previous, int):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs group_id and previous")
        region = rollback_data.get("region") or finding.region
        elasticache = client("elasticache", session=session, region=region)
        self.retention_set(elasticache, group_id, previous)
        change = Change(
            "elasticache:ModifyReplicationGroup",
            group_id,
            "restore the snapshot retention limit",
            None,
            {"SnapshotRetentionLimit": previous},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(ElastiCacheBackupsReactor)
