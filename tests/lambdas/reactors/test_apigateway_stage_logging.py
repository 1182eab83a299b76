"""``apigateway-stage-logging`` beyond its scenario: no CloudWatch Logs role, no change.

The harness (``test_scenarios.py``) runs APIGateway.1 in an account whose API Gateway settings
name a CloudWatch Logs role (dry run, apply, rollback, untouched caller). Here they do not:
API Gateway could not write the logs, so the reactor refuses.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.apigateway_stage_logging.reactor import handler
from lambdas.reactors.apigateway_stage_logging.scenarios import SCENARIOS
from reactor_sdk import ReactorError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def test_refuses_without_a_cloudwatch_logs_role_in_the_account(member: boto3.Session) -> None:
    target = SCENARIOS[0].arrange(member, MEMBER)
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)
    apigateway = member.client("apigateway")
    apigateway.update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}]
    )
    assert not apigateway.get_account().get("cloudwatchRoleArn")

    for dry_run in (True, False):
        with pytest.raises(
            ReactorError,
            match="API Gateway in us-east-1 has no CloudWatch Logs role in its account settings",
        ):
            run(handler, finding, dry_run=dry_run)
    assert SCENARIOS[0].observe(member, target) == {"loggingLevel": "OFF"}
