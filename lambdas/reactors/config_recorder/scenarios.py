"""Scenarios of ``config-recorder`` for the harness (`reactor_sdk.testing`): Config.1.

moto does not check that the delivery bucket exists, so the scenarios name one and never
create it (S3 names are global: one bucket could not be made in both accounts).
"""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target

BUCKET = "config-deliveries-central"


def _account(account_id: str) -> Target:
    return Target(f"AWS::::Account:{account_id}", "AwsAccount", {})


def _service_role(session: boto3.Session) -> str:
    """The AWS Config service-linked role (moto's CreateServiceLinkedRole misspells its name)."""
    trust = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",'
        ' "Principal": {"Service": "config.amazonaws.com"}}]}'
    )
    role = session.client("iam").create_role(
        RoleName="AWSServiceRoleForConfig",
        Path="/aws-service-role/config.amazonaws.com/",
        AssumeRolePolicyDocument=trust,
    )
    return str(role["Role"]["Arn"])


def _no_config(session: boto3.Session, account_id: str) -> Target:
    _service_role(session)
    return _account(account_id)


def _stopped_recorder(session: boto3.Session, account_id: str) -> Target:
    role = _service_role(session)
    config = session.client("config")
    config.put_configuration_recorder(ConfigurationRecorder={"name": "existing", "roleARN": role})
    config.put_delivery_channel(DeliveryChannel={"name": "existing", "s3BucketName": BUCKET})
    return _account(account_id)


def _config_state(session: boto3.Session, target: Target) -> Any:
    config = session.client("config")
    statuses = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    return {
        "recorders": sorted(
            r["name"] for r in config.describe_configuration_recorders()["ConfigurationRecorders"]
        ),
        "channels": sorted(
            c["name"] for c in config.describe_delivery_channels()["DeliveryChannels"]
        ),
        "recording": any(s.get("recording") for s in statuses),
    }


def _recording(state: Any) -> bool:
    return bool(state["recording"] and state["channels"])


SAMPLE = "asff_findings/asr_afsbp_s3.1.json"
SCENARIOS = [
    Scenario("Config.1", SAMPLE, _no_config, _config_state, _recording, {"bucket": BUCKET}),
    Scenario(
        "Config.1", SAMPLE, _stopped_recorder, _config_state, _recording, name="stopped-recorder"
    ),
]
