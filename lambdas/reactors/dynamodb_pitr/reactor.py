"""Reactor ``dynamodb-pitr`` (AFSBP DynamoDB.2)."""

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

ACTION = "dynamodb:UpdateContinuousBackups"


def pitr_enabled(dynamodb: Any, table: str) -> bool:
    """Whether point-in-time recovery is on for ``table``."""
    found = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    status = (found.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
    return status == "ENABLED"


@reactor
class DynamoDbPitrReactor(Reactor):
    """Turn on point-in-time recovery (continuous backups) of a DynamoDB table.

    With point-in-time recovery the table can be restored to any second of the last 35 days
    (billed by table size). Reads, writes and every other setting of the table stay as they
    are; nothing changes when recovery is already on. Rollback turns it off again if it was off
    before (the backups taken meanwhile are then dropped by DynamoDB).
    """

    id = "dynamodb-pitr"
    version = "1.0.0"
    control_ids = ("DynamoDB.2",)
    permissions = (
        Permission(
            ("dynamodb:DescribeContinuousBackups", "dynamodb:UpdateContinuousBackups"),
            ("arn:aws:dynamodb:*:*:table/*",),
        ),
    )

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        resource = finding.resource("AwsDynamoDbTable")
        region = resource.region or finding.region
        dynamodb = client("dynamodb", session=session, region=region)
        if pitr_enabled(dynamodb, resource.name):
            return self.result(
                finding, dry_run=dry_run, changes=[], message="point-in-time recovery is on"
            )
        change = Change(
            ACTION,
            resource.id,
            "turn on point-in-time recovery",
            {"PointInTimeRecoveryEnabled": False},
            {"PointInTimeRecoveryEnabled": True},
        )
        if not dry_run:
            dynamodb.update_continuous_backups(
                TableName=resource.name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"table": resource.name, "region": region, "enabled": False},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        table, enabled = rollback_data.get("table"), rollback_data.get("enabled")
        if not table or not isinstance(enabled, bool):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs table and enabled")
        dynamodb = client(
            "dynamodb", session=session, region=rollback_data.get("region") or finding.region
        )
        dynamodb.update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled},
        )
        change = Change(
            ACTION,
            table,
            "restore point-in-time recovery",
            None,
            {"PointInTimeRecoveryEnabled": enabled},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(DynamoDbPitrReactor)
