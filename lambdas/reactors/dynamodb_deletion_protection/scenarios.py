"""Scenarios of ``dynamodb-deletion-protection`` for the harness: DynamoDB.6."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def _table(session: boto3.Session, account_id: str) -> Target:
    created = session.client("dynamodb").create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        DeletionProtectionEnabled=False,
    )
    return Target(created["TableDescription"]["TableArn"], "AwsDynamoDbTable")


def _protection(session: boto3.Session, target: Target) -> Any:
    table = target.resource_id.rsplit("/", 1)[-1]
    found = session.client("dynamodb").describe_table(TableName=table)["Table"]
    return {"DeletionProtectionEnabled": bool(found.get("DeletionProtectionEnabled"))}


SCENARIOS = [
    Scenario(
        "DynamoDB.6",
        "asff_findings/asr_afsbp_s3.2.json",
        _table,
        _protection,
        lambda state: state["DeletionProtectionEnabled"] is True,
    ),
]
