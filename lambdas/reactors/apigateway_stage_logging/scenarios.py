"""Scenarios of ``apigateway-stage-logging`` for the harness (`reactor_sdk.testing`).

APIGateway.1, on a REST API stage.
"""

from __future__ import annotations

from typing import Any

import boto3

from reactor_sdk.testing import Scenario, Target


def _silent_stage(session: boto3.Session, account_id: str) -> Target:
    apigateway = session.client("apigateway")
    apigateway.update_account(
        patchOperations=[
            {
                "op": "replace",
                "path": "/cloudwatchRoleArn",
                "value": f"arn:aws:iam::{account_id}:role/apigateway-cloudwatch",
            }
        ]
    )
    api = apigateway.create_rest_api(name="orders")["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    apigateway.put_method(
        restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE"
    )
    apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api, stageName="prod")
    return Target(
        f"arn:aws:apigateway:us-east-1::/restapis/{api}/stages/prod", "AwsApiGatewayStage", {}
    )


def _log_level(session: boto3.Session, target: Target) -> Any:
    api, stage = target.resource_id.split("/restapis/")[1].split("/stages/")
    found = session.client("apigateway").get_stage(restApiId=api, stageName=stage)
    settings = (found.get("methodSettings") or {}).get("*/*") or {}
    return {"loggingLevel": settings.get("loggingLevel") or "OFF"}


SCENARIOS = [
    Scenario(
        "APIGateway.1",
        "asff_findings/asr_afsbp_s3.2.json",
        _silent_stage,
        _log_level,
        lambda state: state["loggingLevel"] in ("INFO", "ERROR"),
    ),
]
