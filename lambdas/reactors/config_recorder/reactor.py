"""Reactor ``config-recorder`` (AFSBP Config.1)."""

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

SERVICE_ROLE = "AWSServiceRoleForConfig"
RECORDER = "default"


@reactor
class ConfigRecorderReactor(Reactor):
    """Turn on AWS Config recording in the finding's account and region.

    When the region has no configuration recorder, creates one named "default" that records
    every supported resource type (and global ones such as IAM when
    "include_global_resources" is true, the default) with the AWS Config service-linked role.
    When it has no delivery channel, creates one that delivers to the S3 bucket "bucket"
    (required then; the bucket policy must let config.amazonaws.com write, see the AWS Config
    guide), with snapshots every "snapshot_frequency". Then starts recording. An existing
    recorder or channel keeps its settings. When AWS refuses a step (a missing bucket, or one
    whose policy does not let Config write), what the run created is deleted again. The
    reactor refuses, changing nothing, when the service-linked role AWSServiceRoleForConfig
    does not exist (create it once with "aws iam create-service-linked-role
    --aws-service-name config.amazonaws.com").

    Rollback stops the recorder, and deletes the delivery channel and the recorder when this
    reactor created them. Installing needs admin approval: iam:PassRole (handing the AWS Config
    service-linked role to the recorder, and only that role) is on the reactor-trust deny list.
    """

    id = "config-recorder"
    version = "1.0.0"
    control_ids = ("Config.1",)
    permissions = (
        Permission(
            (
                "config:DescribeDeliveryChannels",
                "config:PutDeliveryChannel",
                "config:DeleteDeliveryChannel",
            )
        ),
        # The recorder's actions name it (delivery channels have no resource type in IAM).
        Permission(
            (
                "config:DescribeConfigurationRecorders",
                "config:DescribeConfigurationRecorderStatus",
                "config:PutConfigurationRecorder",
                "config:StartConfigurationRecorder",
                "config:StopConfigurationRecorder",
                "config:DeleteConfigurationRecorder",
            ),
            ("arn:aws:config:*:*:configuration-recorder/*",),
        ),
        # "*" before the name: IAM matches the role's ARN with its path, and GetRole by name.
        Permission(
            ("iam:GetRole", "iam:PassRole"), ("arn:aws:iam::*:role/*AWSServiceRoleForConfig",)
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "bucket": {
                "type": "string",
                "maxLength": 63,
                "default": "",
                "description": "S3 bucket for Config deliveries (needed when no channel exists)",
            },
            "include_global_resources": {
                "type": "boolean",
                "default": True,
                "description": "also record global resources (IAM) in this region",
            },
            "snapshot_frequency": {
                "type": "string",
                "enum": [
                    "One_Hour",
                    "Three_Hours",
                    "Six_Hours",
                    "Twelve_Hours",
                    "TwentyFour_Hours",
                ],
                "default": "TwentyFour_Hours",
                "description": "how often Config delivers a configuration snapshot",
            },
        },
    }

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        config = client("config", session=session, region=finding.region)
        where = f"arn:aws:config:{finding.region}:{finding.account_id}:config-recorder"
        recorders = config.describe_configuration_recorders()["ConfigurationRecorders"]
        channels = config.describe_delivery_channels()["DeliveryChannels"]
        name = recorders[0]["name"] if recorders else RECORDER
        statuses = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
        recording = any(s.get("recording") for s in statuses if s.get("name") == name)
        if recording and channels:
            return self.result(finding, dry_run=dry_run, changes=[], message="recording")
        changes: list[Change] = []
        recorder: dict[str, Any] | None = None
        if not recorders:
            recorder = {
                "name": RECORDER,
                "roleARN": self._service_role(session, finding.account_id),
                "recordingGroup": {
                    "allSupported": True,
                    "includeGlobalResourceTypes": bool(params["include_global_resources"]),
                },
            }
            changes.append(
                Change(
                    "config:PutConfigurationRecorder", where, "create the recorder", None, recorder
                )
            )
        channel: dict[str, Any] | None = None
        if not channels:
            if not params["bucket"]:
                raise ReactorError(
                    f"{finding.region} has no AWS Config delivery channel: set the bucket "
                    "parameter to the S3 bucket Config should deliver to"
                )
            channel = {
                "name": RECORDER,
                "s3BucketName": params["bucket"],
                "configSnapshotDeliveryProperties": {
                    "deliveryFrequency": params["snapshot_frequency"]
                },
            }
            changes.append(
                Change(
                    "config:PutDeliveryChannel", where, "create the delivery channel", None, channel
                )
            )
        if not recording:
            changes.append(
                Change("config:StartConfigurationRecorder", where, f"start {name}", False, True)
            )
        if not dry_run:
            made: list[str] = []  # what to delete again if a later step is refused
            try:
                if recorder:
                    config.put_configuration_recorder(ConfigurationRecorder=recorder)
                    made.append("recorder")
                if channel:
                    config.put_delivery_channel(DeliveryChannel=channel)
                    made.append("channel")
                if not recording:
                    config.start_configuration_recorder(ConfigurationRecorderName=name)
            except ClientError as exc:
                if "channel" in made:
                    config.delete_delivery_channel(DeliveryChannelName=RECORDER)
                if "recorder" in made:
                    config.delete_configuration_recorder(ConfigurationRecorderName=name)
                undone = f" (deleted again: the {' and '.join(made)})" if made else ""
                raise ReactorError(f"AWS Config refused: {exc}{undone}") from exc
        return self.result(
            finding,
            dry_run=dry_run,
            changes=changes,
            rollback_data={
                "recorder": name,
                "created_recorder": recorder is not None,
                "created_channel": RECORDER if channel else None,
                "started": not recording,
            },
        )

    @staticmethod
    def _service_role(session: boto3.Session, account_id: str) -> str:
        iam = client("iam", session=session)
        try:
            return str(iam.get_role(RoleName=SERVICE_ROLE)["Role"]["Arn"])
        except iam.exceptions.NoSuchEntityException as exc:
            raise ReactorError(
                f"account {account_id} has no {SERVICE_ROLE} service-linked role: create it "
                "with 'aws iam create-service-linked-role --aws-service-name "
                "config.amazonaws.com', then run again"
            ) from exc

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        name = rollback_data.get("recorder")
        if not name or "created_recorder" not in rollback_data:
            raise ReactorRollbackError(
                f"{self.id}: rollback_data needs recorder and created_recorder"
            )
        config = client("config", session=session, region=finding.region)
        where = f"arn:aws:config:{finding.region}:{finding.account_id}:config-recorder"
        changes = []
        if rollback_data.get("started"):
            config.stop_configuration_recorder(ConfigurationRecorderName=name)
            changes.append(
                Change("config:StopConfigurationRecorder", where, f"stop {name}", True, False)
            )
        channel = rollback_data.get("created_channel")
        if channel:
            config.delete_delivery_channel(DeliveryChannelName=channel)
            changes.append(
                Change(
                    "config:DeleteDeliveryChannel",
                    where,
                    f"delete channel {channel}",
                    channel,
                    None,
                )
            )
        if rollback_data["created_recorder"]:
            config.delete_configuration_recorder(ConfigurationRecorderName=name)
            changes.append(
                Change("config:DeleteConfigurationRecorder", where, f"delete {name}", name, None)
            )
        return self.result(finding, dry_run=False, changes=changes, operation="rollback")


handler = reactor_handler(ConfigRecorderReactor)
