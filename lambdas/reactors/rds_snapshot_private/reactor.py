"""Reactor ``rds-snapshot-private`` (AFSBP RDS.1, DocumentDB.3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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

#: The restore attribute value that shares a snapshot with every AWS account.
PUBLIC = "all"


@dataclass(frozen=True)
class SnapshotApi:
    """The RDS calls and names for one kind of snapshot (instance or cluster)."""

    kind: str
    #: The IAM action of the modify call.
    action: str
    describe: str
    modify: str
    id_param: str
    result_key: str
    attributes_key: str


INSTANCE = SnapshotApi(
    "snapshot",
    "rds:ModifyDBSnapshotAttribute",
    "describe_db_snapshot_attributes",
    "modify_db_snapshot_attribute",
    "DBSnapshotIdentifier",
    "DBSnapshotAttributesResult",
    "DBSnapshotAttributes",
)
CLUSTER = SnapshotApi(
    "cluster-snapshot",
    "rds:ModifyDBClusterSnapshotAttribute",
    "describe_db_cluster_snapshot_attributes",
    "modify_db_cluster_snapshot_attribute",
    "DBClusterSnapshotIdentifier",
    "DBClusterSnapshotAttributesResult",
    "DBClusterSnapshotAttributes",
)
APIS = {api.kind: api for api in (INSTANCE, CLUSTER)}


def snapshot_of(arn: str) -> tuple[SnapshotApi, str, str]:
    """The API, region and identifier of a snapshot ARN; `ReactorInputError` for another ARN."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "rds" or parts[5] not in APIS:
        raise ReactorInputError(f"{arn!r} is not the ARN of an RDS or DocumentDB snapshot")
    return APIS[parts[5]], parts[3], ":".join(parts[6:])


def restore_values(rds: Any, api: SnapshotApi, identifier: str) -> list[str]:
    """Who may restore the snapshot: account ids, or ``all``."""
    try:
        found = getattr(rds, api.describe)(**{api.id_param: identifier})[api.result_key]
    except ClientError as exc:
        raise ReactorError(f"cannot read who may restore {identifier}: {exc}") from exc
    for attribute in found.get(api.attributes_key, []):
        if attribute.get("AttributeName") == "restore":
            return list(attribute.get("AttributeValues") or [])
    return []


@reactor
class RdsSnapshotPrivateReactor(Reactor):
    """Stop sharing an RDS or DocumentDB snapshot with every AWS account.

    Removes "all" from the restore attribute of the finding's manual DB snapshot or DB cluster
    snapshot (RDS, Aurora, DocumentDB and Neptune clusters share the same API), so that no
    account outside the list of accounts it is explicitly shared with can copy or restore it.
    Accounts named one by one keep their access; nothing changes when the snapshot is not
    public. Rollback shares the snapshot with everyone again.

    rds:ModifyDBSnapshotAttribute and rds:ModifyDBClusterSnapshotAttribute are permission
    management actions (they decide who may read the data), which is why installing this
    reactor needs an admin's approval.
    """

    id = "rds-snapshot-private"
    version = "1.0.0"
    control_ids = ("RDS.1", "DocumentDB.3")
    permissions = (
        Permission(
            ("rds:DescribeDBSnapshotAttributes", "rds:ModifyDBSnapshotAttribute"),
            ("arn:aws:rds:*:*:snapshot:*",),
        ),
        Permission(
            ("rds:DescribeDBClusterSnapshotAttributes", "rds:ModifyDBClusterSnapshotAttribute"),
            ("arn:aws:rds:*:*:cluster-snapshot:*",),
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        arn = finding.resource("AwsRdsDbSnapshot", "AwsRdsDbClusterSnapshot").id
        api, region, identifier = snapshot_of(arn)
        rds = client("rds", session=session, region=region)
        values = restore_values(rds, api, identifier)
        if PUBLIC not in values:
            return self.result(finding, dry_run=dry_run, changes=[], message="not public")
        change = Change(
            api.action,
            arn,
            "remove 'all' from the accounts that may restore the snapshot",
            {"restore": values},
            {"restore": [v for v in values if v != PUBLIC]},
        )
        if not dry_run:
            getattr(rds, api.modify)(
                **{api.id_param: identifier},
                AttributeName="restore",
                ValuesToRemove=[PUBLIC],
            )
        return self.result(
            finding, dry_run=dry_run, changes=[change], rollback_data={"snapshot_arn": arn}
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        arn = rollback_data.get("snapshot_arn")
        if not isinstance(arn, str) or not arn:
            raise ReactorRollbackError(f"{self.id}: rollback_data needs snapshot_arn")
        try:
            api, region, identifier = snapshot_of(arn)
        except ReactorInputError as exc:
            raise ReactorRollbackError(f"{self.id}: {exc}") from exc
        rds = client("rds", session=session, region=region)
        getattr(rds, api.modify)(
            **{api.id_param: identifier}, AttributeName="restore", ValuesToAdd=[PUBLIC]
        )
        change = Change(api.action, arn, "share the snapshot with everyone again", None, PUBLIC)
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(RdsSnapshotPrivateReactor)
