"""Reactor ``ebs-snapshot-private`` (AFSBP EC2.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

#: The group that makes a snapshot restorable by every AWS account.
ALL = "all"


def public_snapshots(ec2: Any, account_id: str, exceptions: set[str]) -> list[str]:
    """The snapshots ``account_id`` owns in the client's region that every account may restore."""
    found: list[str] = []
    pages = ec2.get_paginator("describe_snapshots").paginate(
        Filters=[{"Name": "owner-id", "Values": [account_id]}], RestorableByUserIds=[ALL]
    )
    for page in pages:
        for snapshot in page.get("Snapshots", []):
            snapshot_id = snapshot["SnapshotId"]
            if snapshot_id in exceptions:
                continue
            permissions = ec2.describe_snapshot_attribute(
                SnapshotId=snapshot_id, Attribute="createVolumePermission"
            ).get("CreateVolumePermissions", [])
            if any(p.get("Group") == ALL for p in permissions):
                found.append(snapshot_id)
    return sorted(found)


@reactor
class EbsSnapshotPrivateReactor(Reactor):
    """Make the account's public EBS snapshots private.

    EC2.1 is judged per account and region: it fails while any snapshot the account owns there
    can be restored by every AWS account. The reactor finds those snapshots and removes the
    "all" group from their createVolumePermission. Permissions granted to named accounts stay,
    and snapshots listed in the "exceptions" parameter (meant to be public, such as a published
    AMI's) are left alone.

    Needs admin approval at install: ec2:ModifySnapshotAttribute can also share snapshots, so
    it is on the reactor-trust list of dangerous actions. Rollback makes the same snapshots
    public again.
    """

    id = "ebs-snapshot-private"
    version = "1.0.0"
    control_ids = ("EC2.1",)
    permissions = (
        Permission(("ec2:DescribeSnapshots",)),
        Permission(
            ("ec2:DescribeSnapshotAttribute", "ec2:ModifySnapshotAttribute"),
            ("arn:aws:ec2:*::snapshot/*",),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "exceptions": {
                "type": "array",
                "items": {"type": "string", "pattern": "^snap-[0-9a-f]+$"},
                "uniqueItems": True,
                "default": [],
                "description": "ids of snapshots that are meant to stay public",
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
        finding.resource("AwsAccount")
        ec2 = client("ec2", session=session, region=finding.region)
        snapshots = public_snapshots(ec2, finding.account_id, set(params["exceptions"]))
        if not snapshots:
            return self.result(finding, dry_run=dry_run, changes=[], message="no public snapshot")
        changes = []
        for snapshot_id in snapshots:
            arn = f"arn:aws:ec2:{finding.region}::snapshot/{snapshot_id}"
            changes.append(
                Change(
                    "ec2:ModifySnapshotAttribute",
                    arn,
                    "remove createVolumePermission for all accounts",
                    {"Group": ALL},
                    None,
                )
            )
            if not dry_run:
                ec2.modify_snapshot_attribute(
                    SnapshotId=snapshot_id,
                    Attribute="createVolumePermission",
                    OperationType="remove",
                    GroupNames=[ALL],
                )
        return self.result(
            finding,
            dry_run=dry_run,
            changes=changes,
            rollback_data={"region": finding.region, "snapshots": snapshots},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        snapshots = rollback_data.get("snapshots")
        if not snapshots or not isinstance(snapshots, list):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs snapshots")
        region = rollback_data.get("region") or finding.region
        ec2 = client("ec2", session=session, region=region)
        changes = []
        for snapshot_id in snapshots:
            ec2.modify_snapshot_attribute(
                SnapshotId=snapshot_id,
                Attribute="createVolumePermission",
                OperationType="add",
                GroupNames=[ALL],
            )
            changes.append(
                Change(
                    "ec2:ModifySnapshotAttribute",
                    f"arn:aws:ec2:{region}::snapshot/{snapshot_id}",
                    "restore createVolumePermission for all accounts",
                    None,
                    {"Group": ALL},
                )
            )
        return self.result(finding, dry_run=False, changes=changes, operation="rollback")


handler = reactor_handler(EbsSnapshotPrivateReactor)
