"""Reactor ``apigateway-stage-logging`` (AFSBP APIGateway.1, REST API stages)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import boto3

from reactor_sdk import (
    Change,
    Finding,
    Permission,
    Reactor,
    ReactorError,
    ReactorInputError,
    ReactorRollbackError,
    RemediationResult,
    client,
    reactor,
    reactor_handler,
)

STAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:apigateway:([a-z0-9-]+)::/restapis/([^/]+)/stages/([^/]+)$"
)
#: The method settings key that applies to every method of a stage.
ALL_METHODS = "*/*"
LOG_LEVEL_PATH = "/*/*/logging/loglevel"


def stage_ref(arn: str) -> tuple[str, str, str]:
    """(region, rest API id, stage name) of a REST API stage ARN."""
    match = STAGE_ARN.match(arn)
    if not match:
        raise ReactorInputError(
            f"{arn} is not a REST API stage ARN (arn:aws:apigateway:<region>::/restapis/<id>/"
            "stages/<name>): only REST API stages are supported"
        )
    return match.group(1), match.group(2), match.group(3)


def logging_level(stage: Mapping[str, Any]) -> str:
    """The stage-wide execution logging level (``OFF`` when unset)."""
    settings = (stage.get("methodSettings") or {}).get(ALL_METHODS) or {}
    return str(settings.get("loggingLevel") or "OFF")


@reactor
class ApiGatewayStageLoggingReactor(Reactor):
    """Turn on execution logging for every method of an API Gateway REST API stage.

    Sets the stage-wide CloudWatch logging level to "level" (INFO by default, or ERROR), so
    API Gateway writes execution logs to the log group API-Gateway-Execution-Logs_<api>/<stage>.
    Method-specific settings and full request/response data tracing are left as they are. A
    stage already logging at ERROR or INFO is left alone. API Gateway can write logs only once
    the account's API Gateway settings name a CloudWatch Logs role: when they do not, the
    reactor refuses and says so, changing nothing. WebSocket and HTTP APIs (API Gateway v2)
    are not supported. Rollback restores the previous logging level.
    """

    id = "apigateway-stage-logging"
    version = "1.0.0"
    control_ids = ("APIGateway.1",)
    permissions = (
        Permission(("apigateway:GET",), ("arn:aws:apigateway:*::/account",)),
        Permission(
            ("apigateway:GET", "apigateway:PATCH"),
            ("arn:aws:apigateway:*::/restapis/*/stages/*",),
        ),
    )
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "level": {
                "type": "string",
                "enum": ["INFO", "ERROR"],
                "default": "INFO",
                "description": "execution logging level to set",
            }
        },
    }

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        arn = finding.resource("AwsApiGatewayStage").id
        region, api, name = stage_ref(arn)
        apigateway = client("apigateway", session=session, region=region)
        previous = logging_level(apigateway.get_stage(restApiId=api, stageName=name))
        if previous in ("INFO", "ERROR"):
            return self.result(finding, dry_run=dry_run, changes=[], message=f"logging {previous}")
        if not apigateway.get_account().get("cloudwatchRoleArn"):
            raise ReactorError(
                f"API Gateway in {region} has no CloudWatch Logs role in its account settings: "
                "it cannot write execution logs; set one (Settings > CloudWatch log role ARN), "
                "then run again"
            )
        change = Change(
            "apigateway:UpdateStage", arn, "turn on execution logging", previous, params["level"]
        )
        if not dry_run:
            apigateway.update_stage(
                restApiId=api,
                stageName=name,
                patchOperations=[
                    {"op": "replace", "path": LOG_LEVEL_PATH, "value": params["level"]}
                ],
            )
        return self.result(
            finding,
            dry_run=dry_run,
            changes=[change],
            rollback_data={"stage_arn": arn, "previous": previous},
        )

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        arn, previous = rollback_data.get("stage_arn"), rollback_data.get("previous")
        if not arn or previous not in ("OFF", "ERROR", "INFO"):
            raise ReactorRollbackError(f"{self.id}: rollback_data needs stage_arn and previous")
        region, api, name = stage_ref(str(arn))
        apigateway = client("apigateway", session=session, region=region)
        apigateway.update_stage(
            restApiId=api,
            stageName=name,
            patchOperations=[{"op": "replace", "path": LOG_LEVEL_PATH, "value": previous}],
        )
        change = Change("apigateway:UpdateStage", arn, "restore the logging level", None, previous)
        return self.result(finding, dry_run=False, changes=[change], operation="rollback")


handler = reactor_handler(ApiGatewayStageLoggingReactor)
