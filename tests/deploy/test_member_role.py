"""The member-account role template: trust, ExternalId, manifest permissions, cfn-lint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deploy.member_role import (
    manifest_permissions,
    member_role_template,
    member_role_template_json,
)
from ouroboros.errors import ValidationError

CONSUMER = "999999999999"
MANIFESTS: dict[str, Any] = {
    "s3-2-public-read": {
        "permissions": [
            "s3:GetBucketPolicy",
            {"actions": ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"]},
        ]
    },
    "ec2-2-default-sg": {
        "permissions": [
            {
                "Action": "ec2:RevokeSecurityGroupIngress",
                "Resource": "arn:aws:ec2:*:*:security-group/*",
            },
            {"action": "ec2:DescribeSecurityGroups"},
        ]
    },
    "no-manifest": None,
}


def _template(manifests: dict[str, Any] = MANIFESTS) -> dict[str, Any]:
    return member_role_template(
        consumer_account=CONSUMER,
        manifests=manifests,
        role_name="OuroborosMemberRemediationRole",
        reactor_role_prefix="ouroboros-prod-reactor-",
    )


def test_trusts_only_the_consumer_reactor_roles_with_external_id() -> None:
    role = _template()["Resources"]["MemberRemediationRole"]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{CONSUMER}:root"}
    assert statement["Condition"]["StringEquals"] == {"sts:ExternalId": {"Ref": "ExternalId"}}
    assert statement["Condition"]["ArnLike"]["aws:PrincipalArn"] == (
        f"arn:aws:iam::{CONSUMER}:role/ouroboros-prod-reactor-*"
    )
    assert _template()["Parameters"]["ExternalId"]["NoEcho"] is True


def test_permissions_are_exactly_the_manifests() -> None:
    role = _template()["Resources"]["MemberRemediationRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    granted = {(a, s["Resource"]) for s in statements for a in s["Action"]}
    assert granted == {
        ("s3:GetBucketPolicy", "*"),
        ("s3:PutBucketPolicy", "*"),
        ("s3:DeleteBucketPolicy", "*"),
        ("ec2:DescribeSecurityGroups", "*"),
        ("ec2:RevokeSecurityGroupIngress", "arn:aws:ec2:*:*:security-group/*"),
    }


def test_no_reactor_no_policy() -> None:
    role = _template({})["Resources"]["MemberRemediationRole"]["Properties"]
    assert "Policies" not in role


@pytest.mark.parametrize(
    "permission",
    [{"resource": "*"}, "not an action", {"action": 3}, 42, {"action": "s3:Get*", "resource": [1]}],
)
def test_bad_manifests_are_refused_with_the_reactor_named(permission: Any) -> None:
    with pytest.raises(ValidationError, match="reactor bad"):
        manifest_permissions("bad", {"permissions": [permission]})


def test_bad_consumer_account_is_refused() -> None:
    with pytest.raises(ValidationError):
        member_role_template(
            consumer_account="12", manifests={}, role_name="r", reactor_role_prefix="p-"
        )


@pytest.mark.parametrize("manifests", [MANIFESTS, {}])
def test_cfn_lint_accepts_the_template(tmp_path: Path, manifests: dict[str, Any]) -> None:
    path = tmp_path / "member-role.json"
    path.write_text(member_role_template_json(_template(manifests)))
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_cfn_lint_would_catch_a_broken_template(tmp_path: Path) -> None:
    template = _template()
    template["Resources"]["MemberRemediationRole"]["Properties"]["MaxSessionDuration"] = 10
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(template))
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
