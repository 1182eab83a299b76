"""Scenarios of ``dynamodb-pitr`` for the harness (`reactor_sdk.testing`): DynamoDB.2."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def _table(session: boto3.Session, account_id: str) -> Target:
    created = session.client("dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return Target(created["TableDescription"]["TableArn"], "AwsDynamoDbTable")


def _pitr(session: boto3.Session, target: Target) -> Any:
    table = target.resource_id.rsplit("/", 1)[-1]
    found = session.client("dynamodb").describe_continuous_backups(TableName=table)
    description = found["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    return {"PointInTimeRecoveryStatus": description["PointInTimeRecoveryStatus"]}


SCENARIOS = [
    Scenario(
        "DynamoDB.2",
        "asff_findings/asr_afsbp_s3.2.json",
        _table,
        _pitr,
        lambda state: state["PointInTimeRecoveryStatus"] == "ENABLED",
    ),
]
