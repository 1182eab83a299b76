"""Generated grants the strict check found wanting, held to what AWS documents."""

from __future__ import annotations

from typing import Any

from policy_sentry.querying.actions import get_privilege_info

from deploy.functions import function_get
from deploy.iam import boundary_arn, function_policy
from deploy.naming import Deployment
from emulator.iam_evaluator import Request, evaluate

DEPLOYMENT = Deployment("dev", "us-east-1", "123456789012", "consumer")
WRITES = ("Write", "Permissions management")


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_every_role_write_of_the_installer_that_iam_can_bound_requires_the_boundary() -> None:
    policy = function_policy(function_get("reactor_installer"), DEPLOYMENT)
    bounded = {"StringEquals": {"iam:PermissionsBoundary": boundary_arn(DEPLOYMENT)}}
    checked = []
    for statement in policy["Statement"]:
        for action in _actions(statement):
            if not action.startswith("iam:"):
                continue
            info = get_privilege_info("iam", action.split(":")[1])
            keys = {k for rt in info["resource_types"].values() for k in rt["condition_keys"]}
            if info["access_level"] in WRITES and "iam:PermissionsBoundary" in keys:
                assert statement.get("Condition") == bounded, action
                checked.append(action)
    assert "iam:UpdateAssumeRolePolicy" in checked and "iam:DetachRolePolicy" in checked


def test_findings_are_updated_on_the_hub_of_the_home_region_only() -> None:
    """Issue 24: findings of every linked region are updated in the home region (aggregation
    replicates the update back), so no other region's hub is granted."""
    policy = function_policy(function_get("dispatch_finding"), DEPLOYMENT)

    def allowed(resource: str) -> bool:
        request = Request("securityhub:BatchUpdateFindings", resource)
        return evaluate(request, [policy]).allowed

    assert allowed("arn:aws:securityhub:us-east-1:123456789012:hub/default")
    assert not allowed("arn:aws:securityhub:ap-southeast-2:123456789012:hub/default")
    assert not allowed("arn:aws:securityhub:us-east-1:999999999999:hub/default")
