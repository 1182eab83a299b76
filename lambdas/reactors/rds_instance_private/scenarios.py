"""Scenarios of ``rds-instance-private`` for the harness (`reactor_sdk.testing`): RDS.2."""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def public_instance(session: boto3.Session, account_id: str) -> Target:
    created = session.client("rds").create_db_instance(
        DBInstanceIdentifier="public-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="owner",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
        PubliclyAccessible=True,
    )
    return Target(created["DBInstance"]["DBInstanceArn"], "AwsRdsDbInstance")


def _public(session: boto3.Session, target: Target) -> Any:
    name = target.resource_id.rsplit(":", 1)[-1]
    found = session.client("rds").describe_db_instances(DBInstanceIdentifier=name)
    return {"PubliclyAccessible": found["DBInstances"][0]["PubliclyAccessible"]}


SCENARIOS = [
    Scenario(
        "RDS.2",
        "asff_findings/asr_afsbp_s3.2.json",
        public_instance,
        _public,
        lambda state: state["PubliclyAccessible"] is False,
    ),
]
