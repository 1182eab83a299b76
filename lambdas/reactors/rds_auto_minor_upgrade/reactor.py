"""Reactor ``rds-auto-minor-upgrade`` (AFSBP RDS.13)."""

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
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

ACTION = "rds:ModifyDBInstance"


def _set_auto_upgrade(rds: Any, name: str, enabled: bool) -> None:
    # The setting applies asynchronously without an outage; ApplyImmediately=False keeps any
    # other pending modification for the maintenance window instead of forcing it now.
    try:
        rds.modify_db_instance(
            DBInstanceIdentifier=name, AutoMinorVersionUpgrade=enabled, ApplyImmediately=False
        )
    except ClientError as exc:
        raise ReactorError(f"cannot modify the DB instance {name}: {exc}") from exc


@reactor
class RdsAutoMinorUpgradeReactor(Reactor):
    """Turn on automatic minor version upgrades of an RDS DB instance.

    Sets AutoMinorVersionUpgrade to true: RDS then applies new minor engine versions (security
    and bug fixes) during the instance's maintenance window, with the short restart an engine
    upgrade takes. The setting itself causes no outage, and other pending modifications stay
    scheduled for the maintenance window. Rollback turns automatic upgrades off again.
    """

    id = "rds-auto-minor-upgrade"
    version = "1.0.0"
    control_ids = ("RDS.13",)
    permissions = (
        Permission(("rds:DescribeDBInstances", "rds:ModifyDBInstance"), ("arn:aws:rds:*:*:db:*",)),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsRdsDbInstance")
        region = resource.region or finding.region
        rds = client("rds", session=session, region=region)
        try:
            found = rds.describe_db_instances(DBInstanceIdentifier=resource.name)
        except ClientError as exc:
            raise ReactorError(f"cannot read the DB instance {resource.name}: {exc}") from exc
        if found["DBInstances"][0].get("AutoMinorVersionUpgrade"):
            return self.result(
                finding, dry_run=dry_run, changes=[], message="automatic minor upgrades are on"
            )
        change = Change(
            ACTION,
            resource.id,
            "turn on automatic minor version upgrades",
            {"AutoMinorVersionUpgrade": False},
            {"AutoMinorVersionUpgrade": True},
        )
        if not dry_run:
            _set_auto_upgrade(rds, resource.name, True)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"instance": resource.name, "region": region, "enabled": False},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        name, enabled = rollback_data.get("instance"), rollback_data.get("enabled")
        if not name or not isinstance(enabled, bool):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs instance and enabled")
        rds = client("rds", session=session, region=rollback_data.get("region") or finding.region)
        _set_auto_upgrade(rds, name, enabled)
        change = Change(
            ACTION,
            name,
            "restore automatic minor upgrades",
            None,
            {"AutoMinorVersionUpgrade": enabled},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(RdsAutoMinorUpgradeReactor)
