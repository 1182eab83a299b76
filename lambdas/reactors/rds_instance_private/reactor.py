"""Reactor ``rds-instance-private`` (AFSBP RDS.2)."""

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


def _instance(rds: Any, name: str) -> dict[str, Any]:
    try:
        found: dict[str, Any] = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][
            0
        ]
    except ClientError as exc:
        raise ReactorError(f"cannot read the DB instance {name}: {exc}") from exc
    return found


def _set_public(rds: Any, name: str, public: bool) -> None:
    # PubliclyAccessible applies at once whatever ApplyImmediately says; False keeps any other
    # pending modification for the maintenance window instead of forcing it now.
    try:
        rds.modify_db_instance(
            DBInstanceIdentifier=name, PubliclyAccessible=public, ApplyImmediately=False
        )
    except ClientError as exc:
        raise ReactorError(f"cannot modify the DB instance {name}: {exc}") from exc


@reactor
class RdsInstancePrivateReactor(Reactor):
    """Make an RDS DB instance not publicly accessible.

    Sets PubliclyAccessible to false: the instance's DNS name then resolves to its private
    address only, so clients outside its VPC (and networks joined to it) can no longer connect.
    That can cut off applications that reach the database over the internet: run this reactor
    in dry run first and check who connects. Other pending modifications are left for the
    maintenance window. An instance that is not "available" (being created, modified, stopped)
    is refused with its status. Rollback makes the instance publicly accessible again.
    """

    id = "rds-instance-private"
    version = "1.0.0"
    recommended_mode = "dry_run"
    control_ids = ("RDS.2",)
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
        instance = _instance(rds, resource.name)
        if not instance.get("PubliclyAccessible"):
            return self.result(finding, dry_run=dry_run, changes=[], message="not public")
        status = instance.get("DBInstanceStatus")
        if status != "available":
            raise ReactorError(
                f"DB instance {resource.name} is {status!r}, not 'available': retry when it is"
            )
        change = Change(
            ACTION,
            resource.id,
            "make the DB instance not publicly accessible",
            {"PubliclyAccessible": True},
            {"PubliclyAccessible": False},
        )
        if not dry_run:
            _set_public(rds, resource.name, False)
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"instance": resource.name, "region": region, "public": True},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        name, public = rollback_data.get("instance"), rollback_data.get("public")
        if not name or not isinstance(public, bool):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs instance and public")
        rds = client("rds", session=session, region=rollback_data.get("region") or finding.region)
        _set_public(rds, name, public)
        change = Change(ACTION, name, "restore public access", None, {"PubliclyAccessible": public})
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(RdsInstancePrivateReactor)
