"""The CloudFormation template of the member-account remediation role.

Deploy it in every member account (a StackSet over the organization does it at once). The role:

- trusts the consumer account only, and inside it only the reactor roles
  (``aws:PrincipalArn`` like ``arn:aws:iam::<consumer>:role/ouroboros-<stage>-reactor-*``);
- requires the ExternalId (``sts:ExternalId``), a stack parameter (NoEcho), which the consumer
  holds in ``OUROBOROS_EXTERNAL_ID``;
- allows exactly the IAM actions the installed, approved reactors declare in their manifests,
  nothing else (`installed_manifests`: status ``installed`` and, for a reactor with dangerous
  actions, the admin's approval of exactly those); each reactor's own session is narrowed further
  to its own permissions by a session policy (`reactor_sdk.session`).

Regenerate it on every install and uninstall: ``manage.py member_role_template`` prints it for the
member accounts (StackSets deliver it); the local runtime re-applies the policy to the demo member
accounts' roles after every installer run (`member_role_policy_apply`, `emulator.demo`).

Manifest shape (``LocalReactorModel.manifest``, defined by the reactor SDK), read tolerantly:
``permissions`` is a list whose items are either an action string (``"s3:PutBucketPolicy"``,
resource ``*``) or a mapping with ``action``/``actions`` (string or list) and optionally
``resource``/``resources`` (string or list; default ``*``); capitalised keys (``Action``,
``Resource``) are accepted too. Anything else is refused with the reactor named.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ouroboros.errors import ValidationError

ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")
TEMPLATE_DESCRIPTION = "Ouroboros member-account remediation role (assumed by reactors)"
MEMBER_POLICY_NAME = "ouroboros-reactors"


def _strings(value: Any, what: str, reactor: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValidationError(f"reactor {reactor}: {what} must be a string or a list of strings")


def _field(item: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in item:
            return item[name]
    return None


def manifest_permissions(reactor: str, manifest: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The (action, resource) pairs one reactor's manifest declares."""
    pairs: list[tuple[str, str]] = []
    for item in (manifest or {}).get("permissions") or []:
        if isinstance(item, str):
            actions, resources = [item], ["*"]
        elif isinstance(item, Mapping):
            action = _field(item, "actions", "action", "Actions", "Action")
            if action is None:
                raise ValidationError(f"reactor {reactor}: a permission has no action")
            actions = _strings(action, "action", reactor)
            resource = _field(item, "resources", "resource", "Resources", "Resource")
            resources = ["*"] if resource is None else _strings(resource, "resource", reactor)
        else:
            raise ValidationError(f"reactor {reactor}: permission {item!r} is not understood")
        for action in actions:
            if not ACTION.match(action):
                raise ValidationError(f"reactor {reactor}: {action!r} is not an IAM action")
            pairs += [(action, resource) for resource in resources]
    return pairs


def member_policy_statements(
    manifests: Mapping[str, Mapping[str, Any] | None],
) -> list[dict[str, Any]]:
    """One statement per resource, with the sorted actions every reactor needs on it."""
    by_resource: dict[str, set[str]] = {}
    for reactor, manifest in sorted(manifests.items()):
        for action, resource in manifest_permissions(reactor, manifest):
            by_resource.setdefault(resource, set()).add(action)
    return [
        {"Effect": "Allow", "Action": sorted(actions), "Resource": resource}
        for resource, actions in sorted(by_resource.items())
    ]


def member_role_template(
    *,
    consumer_account: str,
    manifests: Mapping[str, Mapping[str, Any] | None],
    role_name: str,
    reactor_role_prefix: str,
) -> dict[str, Any]:
    """The template (a dict; ``json.dumps`` it) for the given installed reactors' manifests."""
    if not (consumer_account.isdigit() and len(consumer_account) == 12):
        raise ValidationError(f"not an AWS account id: {consumer_account!r}")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{consumer_account}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}},
                    "ArnLike": {
                        "aws:PrincipalArn": (
                            f"arn:aws:iam::{consumer_account}:role/{reactor_role_prefix}*"
                        )
                    },
                },
            }
        ],
    }
    properties: dict[str, Any] = {
        "RoleName": {"Ref": "RoleName"},
        "Description": TEMPLATE_DESCRIPTION,
        "AssumeRolePolicyDocument": trust,
        "MaxSessionDuration": 3600,
        "Tags": [{"Key": "project", "Value": "ouroboros"}],
    }
    statements = member_policy_statements(manifests)
    if statements:
        properties["Policies"] = [
            {
                "PolicyName": MEMBER_POLICY_NAME,
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
            }
        ]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": TEMPLATE_DESCRIPTION,
        "Parameters": {
            "ExternalId": {
                "Type": "String",
                "NoEcho": True,
                "MinLength": 2,
                "MaxLength": 1224,
                "AllowedPattern": "[\\w+=,.@:/-]*",
                "Description": "The ExternalId the consumer sends (OUROBOROS_EXTERNAL_ID)",
            },
            "RoleName": {
                "Type": "String",
                "Default": role_name,
                "Description": "Name of the role (OUROBOROS_MEMBER_ROLE_NAME in the consumer)",
            },
        },
        "Resources": {
            "MemberRemediationRole": {"Type": "AWS::IAM::Role", "Properties": properties}
        },
        "Outputs": {
            "RoleArn": {
                "Description": "ARN of the remediation role",
                "Value": {"Fn::GetAtt": ["MemberRemediationRole", "Arn"]},
            }
        },
    }


def member_role_template_json(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=2, sort_keys=False) + "\n"


def installed_manifests() -> dict[str, dict[str, Any] | None]:
    """The manifests of the reactors installed, and approved, in this consumer account (one index
    Query): a reactor whose dangerous actions were not approved exactly adds nothing."""
    from ouroboros.models import LocalReactorModel
    from ouroboros.reactors.official import approval_problems

    manifests: dict[str, dict[str, Any] | None] = {}
    for reactor in LocalReactorModel.kind_index.query("REACTOR"):
        if reactor.status != "installed" or reactor.manifest is None:
            continue
        manifest = reactor.manifest.as_dict()
        if approval_problems(manifest, list(reactor.approved_actions or [])):
            continue
        manifests[reactor.reactor_id] = manifest
    return manifests


def member_role_policy(manifests: Mapping[str, Mapping[str, Any] | None]) -> dict[str, Any] | None:
    """The member role's inline policy for these reactors (None: no reactor, no policy)."""
    statements = member_policy_statements(manifests)
    return {"Version": "2012-10-17", "Statement": statements} if statements else None


def member_role_policy_apply(
    iam: Any, *, role_name: str, manifests: Mapping[str, Mapping[str, Any] | None]
) -> bool:
    """Make the role's inline policy exactly the union of ``manifests`` (``iam``: a client in
    the member account); False when the role does not exist there."""
    policy = member_role_policy(manifests)
    try:
        if policy is None:
            try:
                iam.delete_role_policy(RoleName=role_name, PolicyName=MEMBER_POLICY_NAME)
            except iam.exceptions.NoSuchEntityException:
                iam.get_role(RoleName=role_name)  # no policy is fine; no role is not
        else:
            iam.put_role_policy(
                RoleName=role_name, PolicyName=MEMBER_POLICY_NAME, PolicyDocument=json.dumps(policy)
            )
    except iam.exceptions.NoSuchEntityException:
        return False
    return True
