"""Scenarios of ``ebs-snapshot-private`` for the harness (`reactor_sdk.testing`): EC2.1."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def _snapshot(ec2: Any, description: str) -> str:
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)
    snapshot = ec2.create_snapshot(VolumeId=volume["VolumeId"], Description=description)
    return str(snapshot["SnapshotId"])


def public_snapshot(session: boto3.Session, account_id: str) -> Target:
    """One public snapshot and one shared with a named account only (which stays shared)."""
    ec2 = session.client("ec2")
    public = _snapshot(ec2, "public")
    ec2.modify_snapshot_attribute(
        SnapshotId=public,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    shared = _snapshot(ec2, "shared")
    ec2.modify_snapshot_attribute(
        SnapshotId=shared,
        Attribute="createVolumePermission",
        OperationType="add",
        UserIds=["333333333333"],
    )
    return Target(f"AWS::::Account:{account_id}", "AwsAccount", {})


def _permissions(session: boto3.Session, target: Target) -> Any:
    ec2 = session.client("ec2")
    account_id = target.resource_id.rsplit(":", 1)[-1]
    owned = [{"Name": "owner-id", "Values": [account_id]}]
    snapshots = ec2.describe_snapshots(Filters=owned)["Snapshots"]
    return {
        s["Description"]: ec2.describe_snapshot_attribute(
            SnapshotId=s["SnapshotId"], Attribute="createVolumePermission"
        )["CreateVolumePermissions"]
        for s in snapshots
        if s.get("Description") in ("public", "shared")
    }


def _private(state: Any) -> bool:
    every = [p for permissions in state.values() for p in permissions]
    return not any(p.get("Group") == "all" for p in every) and {"UserId": "333333333333"} in every


SCENARIOS = [
    Scenario("EC2.1", "asff_findings/asr_afsbp_s3.1.json", public_snapshot, _permissions, _private),
]
