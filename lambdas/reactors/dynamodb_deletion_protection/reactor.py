"""Reactor ``dynamodb-deletion-protection`` (AFSBP DynamoDB.6)."""

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

ACTION = "dynamodb:UpdateTable"


@reactor
class DynamoDbDeletionProtectionReactor(Reactor):
    """Turn on deletion protection of a DynamoDB table.

    Sets DeletionProtectionEnabled on the table, so nobody can delete it until the protection
    is turned off again. Items, capacity and every other setting stay as they are; nothing
    changes when the protection is already on. Rollback sets it back to its previous value.
    """

    id = "dynamodb-deletion-protection"
    version = "1.0.0"
    control_ids = ("DynamoDB.6",)
    permissions = (
        Permission(
            ("dynamodb:DescribeTable", "dynamodb:UpdateTable"), ("arn:aws:dynamodb:*:*:table/*",)
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
        table = dynamodb.describe_table(TableName=resource.name)["Table"]
        if table.get("DeletionProtectionEnabled"):
            return self.result(
                finding, dry_run=dry_run, changes=[], message="deletion protection is on"
            )
        change = Change(
            ACTION,
            resource.id,
            "turn on deletion protection",
            {"DeletionProtectionEnabled": False},
            {"DeletionProtectionEnabled": True},
        )
        if not dry_run:
            dynamodb.update_table(TableName=resource.name, DeletionProtectionEnabled=True)
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
        dynamodb.update_table(TableName=table, DeletionProtectionEnabled=enabled)
        change = Change(
            ACTION,
            table,
            "restore deletion protection",
            None,
            {"DeletionProtectionEnabled": enabled},
        )
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(DynamoDbDeletionProtectionReactor)
