"""Scenarios of ``rds-auto-minor-upgrade`` for the harness (`reactor_sdk.testing`): RDS.13."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def _instance(session: boto3.Session, account_id: str) -> Target:
    created = session.client("rds").create_db_instance(
        DBInstanceIdentifier="pinned-db",
        DBInstanceClass="db.t3.micro",
        Engine="mysql",
        MasterUsername="owner",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
        AutoMinorVersionUpgrade=False,
    )
    return Target(created["DBInstance"]["DBInstanceArn"], "AwsRdsDbInstance")


def _auto_upgrade(session: boto3.Session, target: Target) -> Any:
    name = target.resource_id.rsplit(":", 1)[-1]
    found = session.client("rds").describe_db_instances(DBInstanceIdentifier=name)
    return {"AutoMinorVersionUpgrade": found["DBInstances"][0]["AutoMinorVersionUpgrade"]}


SCENARIOS = [
    Scenario(
        "RDS.13",
        "asff_findings/asr_afsbp_s3.2.json",
        _instance,
        _auto_upgrade,
        lambda state: state["AutoMinorVersionUpgrade"] is True,
    ),
]
