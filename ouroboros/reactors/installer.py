"""The consumer's installer: turns ``security_local_reactors`` stream records into AWS resources.

The console and the API only write the table (`ouroboros.reactors.services`); the table's stream
delivers each change to `reactor_stream_record_handle` (Lambda ``lambdas/reactor_installer.py``,
or the local runtime's poller), as in the original system:

- INSERT, or MODIFY into ``installing`` (a retry after a failure, or a new ``version``): install
  or upgrade. The artifact is fetched from the Hub's bucket and refused, before anything is
  created, when its sha256 differs from the Hub's record, when the Hub has not verified it, when
  its manifest is not the Hub's, or when the Hub's signed verdict on exactly these bytes and
  permissions is missing or does not verify with the Hub's public key
  (`ouroboros.reactors.verdict`); and when its name is not its own (`ouroboros.reactors.names`: a
  reserved id, or a function or role of that name the installer did not create for it), or it
  declares dangerous actions without being official or without an admin's approval of exactly
  those (`ouroboros.reactors.official`). Then the reactor's own IAM role (trust: Lambda; inline
  policy: the manifest's permissions, ``sts:AssumeRole`` on the member role, its log group) and
  its Lambda function (python3.12, the zip as is, Lambda's JSON log format) are created, or
  updated on upgrade. The item ends ``installed`` with the function's ARN, or ``failed`` with the
  reason. Nothing is left half-installed: a step that fails removes what this attempt created (a
  role without its policy, a function with other code; an upgrade puts back the role policy and
  function configuration of the code still running), and when the registry cannot record
  ``installed`` the new function and role are removed and the error is raised, so the stream
  delivers the record again.
- REMOVE: delete the function and the role (only a reactor's own: anything else is refused).

Stale and repeated records are harmless (streams deliver at least once): an install acts only
while the item still asks for that version, and an uninstall only while the item is gone.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import UpdateError

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.models import HubReactorModel, LocalReactorModel
from ouroboros.reactors.catalog import hub_artifact_fetch, hub_reactor_manifest
from ouroboros.reactors.errors import ArtifactError, ManifestError
from ouroboros.reactors.manifest import manifest_problems
from ouroboros.reactors.names import (
    REACTOR_TAG,
    reactor_function_name,
    reactor_function_prefix,
    reactor_id_problems,
)
from ouroboros.reactors.official import approval_problems, trust_problems
from ouroboros.reactors.packaging import artifact_manifest, sha256_hex
from ouroboros.reactors.stream_records import StreamRecord
from ouroboros.reactors.verdict import VerdictError, verdict_check

logger = logging.getLogger(__name__)

ROLE_POLICY_NAME = "ouroboros-reactor"
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
#: Lambda's JSON log format for a reactor's own lines: the runtime writes each record as one JSON
#: object with the record's ``extra`` keys as fields (`reactor_sdk.handler` puts the correlation
#: keys there), so ``filter correlation_id = "<id>"`` finds the reactor's line in CloudWatch Logs
#: Insights as it finds the workflow's.
REACTOR_LOGGING_CONFIG = {"LogFormat": "JSON"}
#: Waits between retries while IAM propagates a new role or Lambda finishes an update.
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)


class InstallRefusedError(Exception):
    """Internal: the install must end ``failed`` with this reason (nothing left created)."""


@dataclass(frozen=True)
class InstallOutcome:
    """What the installer did with one record."""

    reactor_id: str
    action: str  # installed | failed | uninstalled | refused | ignored
    reason: str = ""


def reactor_boundary_name() -> str:
    """The permissions boundary bootstrap creates for reactor roles (``deploy.iam``)."""
    return f"ouroboros-{get_config().stage}-reactor-boundary"


def reactor_role_policy(manifest: dict[str, Any], function_name: str) -> dict[str, Any]:
    """The least-privilege inline policy of a reactor's role, from its manifest."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": f"Reactor{index}",
            "Effect": "Allow",
            "Action": list(permission["actions"]),
            "Resource": list(permission["resources"]),
        }
        for index, permission in enumerate(manifest["permissions"])
    ]
    statements.append(
        {
            "Sid": "AssumeMemberRole",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": [f"arn:aws:iam::*:role/{get_config().member_role_name}"],
        }
    )
    statements.append(
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"arn:aws:logs:*:*:log-group:/aws/lambda/{function_name}:*"],
        }
    )
    return {"Version": "2012-10-17", "Statement": statements}


def _retrying(call: Callable[[], Any], *, codes: tuple[str, ...]) -> Any:
    for delay in (*RETRY_DELAYS, None):
        try:
            return call()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in codes or delay is None:
                raise
            time.sleep(delay)
    return None  # pragma: no cover (the loop returns or raises)


@dataclass
class _RoleState:
    """The reactor role as this attempt found it: its ARN, whether the attempt created it, and
    the inline policy it had before (an upgrade puts it back when a later step fails)."""

    arn: str
    created: bool
    previous_policy: str | None = None


def _role_ensure(manifest: dict[str, Any], name: str) -> _RoleState:
    iam = client("iam")
    created = True
    previous_policy: str | None = None
    extra: dict[str, Any] = {}
    # The installer's own policy allows CreateRole only with the reactor boundary attached: attach
    # it everywhere (the deployed name, or the name bootstrap gives it), so local runs as deployed.
    boundary = os.environ.get("OUROBOROS_REACTOR_BOUNDARY_NAME") or reactor_boundary_name()
    account = client("sts").get_caller_identity()["Account"]
    extra["PermissionsBoundary"] = f"arn:aws:iam::{account}:policy/{boundary}"
    try:
        arn = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
            Description=f"Ouroboros reactor {manifest['id']} {manifest['version']}"[:1000],
            Tags=[{"Key": REACTOR_TAG, "Value": manifest["id"]}],
            **extra,
        )["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        created = False
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        with contextlib.suppress(iam.exceptions.NoSuchEntityException):
            document = iam.get_role_policy(RoleName=name, PolicyName=ROLE_POLICY_NAME)
            policy = document["PolicyDocument"]
            previous_policy = policy if isinstance(policy, str) else json.dumps(policy)
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(LAMBDA_TRUST))
    try:
        iam.put_role_policy(
            RoleName=name,
            PolicyName=ROLE_POLICY_NAME,
            PolicyDocument=json.dumps(reactor_role_policy(manifest, name)),
        )
    except Exception:
        if created:  # never leave a role without its policy behind
            _role_delete(name)
        raise
    return _RoleState(str(arn), created, previous_policy)


def _role_policy_restore(name: str, role: _RoleState | None) -> None:
    """Put back the inline policy an upgrade replaced (best effort: the item says failed)."""
    if role is None or role.created or role.previous_policy is None:
        return
    try:
        client("iam").put_role_policy(
            RoleName=name, PolicyName=ROLE_POLICY_NAME, PolicyDocument=role.previous_policy
        )
    except (ClientError, BotoCoreError) as exc:
        logger.error("reactor role %s: previous policy not restored: %s", name, exc)


def _role_delete(name: str) -> None:
    iam = client("iam")
    try:
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        pass


def _function_ensure(
    manifest: dict[str, Any], data: bytes, role_arn: str, name: str
) -> tuple[str, bool]:
    """The function's ARN, and whether this call created it."""
    lam = client("lambda")
    config = get_config()
    settings: dict[str, Any] = {
        "Role": role_arn,
        "Handler": manifest["entry_point"],
        "Timeout": int(manifest["timeout_seconds"]),
        "MemorySize": int(manifest["memory_mb"]),
        "Description": manifest["title"][:256],
        "LoggingConfig": REACTOR_LOGGING_CONFIG,
        "Environment": {
            "Variables": {
                "OUROBOROS_STAGE": config.stage,
                "OUROBOROS_MEMBER_ROLE_NAME": config.member_role_name,
                "OUROBOROS_EXTERNAL_ID": config.external_id,
            }
        },
    }
    created = False
    try:
        previous = lam.get_function(FunctionName=name)["Configuration"]
    except lam.exceptions.ResourceNotFoundException:
        created = True
        response = _retrying(
            lambda: lam.create_function(
                FunctionName=name,
                Runtime=manifest["runtime"],
                Code={"ZipFile": data},
                Tags={REACTOR_TAG: manifest["id"]},
                **settings,
            ),
            codes=("InvalidParameterValueException",),
        )
    else:
        _retrying(
            lambda: lam.update_function_configuration(FunctionName=name, **settings),
            codes=("ResourceConflictException",),
        )
        try:
            response = _retrying(
                lambda: lam.update_function_code(FunctionName=name, ZipFile=data),
                codes=("ResourceConflictException",),
            )
        except Exception:  # the old code keeps running: give it back its own configuration
            _function_configuration_restore(name, previous)
            raise
    expected = base64.b64encode(bytes.fromhex(sha256_hex(data))).decode()
    if response.get("CodeSha256") not in (None, expected):
        if created:
            _function_delete(name)
        raise InstallRefusedError(f"Lambda stored other code than the artifact ({name})")
    return str(response["FunctionArn"]), created


#: The configuration fields an upgrade changes (`_function_ensure`'s ``settings``).
_CONFIGURATION_FIELDS = ("Role", "Handler", "Timeout", "MemorySize", "Description", "LoggingConfig")


def _function_configuration_restore(name: str, previous: dict[str, Any]) -> None:
    """Put back the configuration of the code still in the function (best effort)."""
    settings: dict[str, Any] = {k: previous[k] for k in _CONFIGURATION_FIELDS if k in previous}
    variables = (previous.get("Environment") or {}).get("Variables", {})
    settings["Environment"] = {"Variables": variables}
    try:
        _retrying(
            lambda: client("lambda").update_function_configuration(FunctionName=name, **settings),
            codes=("ResourceConflictException",),
        )
    except (ClientError, BotoCoreError) as exc:
        logger.error("reactor function %s: previous configuration not restored: %s", name, exc)


def _function_delete(name: str) -> None:
    lam = client("lambda")
    with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
        lam.delete_function(FunctionName=name)


def _checked_artifact(item: LocalReactorModel) -> tuple[bytes, dict[str, Any]]:
    """The artifact to install and its manifest; `InstallRefusedError` before creating anything."""
    try:
        hub = HubReactorModel.get(item.reactor_id, item.version, consistent_read=True)
    except HubReactorModel.DoesNotExist:
        raise InstallRefusedError(f"{item.reactor_id} {item.version} is not in the Hub") from None
    if hub.status != "verified":
        raise InstallRefusedError(
            f"{item.reactor_id} {item.version} is not verified by the Hub (status {hub.status})"
        )
    if item.sha256 != hub.sha256:
        raise InstallRefusedError(
            f"requested sha256 {item.sha256} differs from the Hub's record {hub.sha256}"
        )
    try:
        data = hub_artifact_fetch(artifact_key=hub.artifact_key)
    except ArtifactError as exc:
        raise InstallRefusedError(str(exc)) from exc
    actual = sha256_hex(data)
    if actual != hub.sha256:
        raise InstallRefusedError(
            f"artifact sha256 mismatch: the Hub recorded {hub.sha256}, the downloaded artifact "
            f"has {actual}; refused, nothing was created"
        )
    try:
        manifest = artifact_manifest(data)
    except (ArtifactError, ManifestError) as exc:
        raise InstallRefusedError(str(exc)) from exc
    problems = manifest_problems(manifest)
    if problems:
        raise InstallRefusedError("invalid manifest: " + "; ".join(problems))
    if json.dumps(manifest, sort_keys=True) != json.dumps(
        hub_reactor_manifest(hub), sort_keys=True
    ):
        raise InstallRefusedError("the artifact's manifest differs from the Hub's record")
    try:  # the gate: a status field anyone who publishes can write is not enough
        verdict_check(
            reactor_id=item.reactor_id,
            version=item.version,
            sha256=actual,
            permissions=manifest["permissions"],
        )
    except VerdictError as exc:
        raise InstallRefusedError(f"{exc}; refused, nothing was created") from exc
    return data, manifest


def _role_owner(name: str) -> str | None:
    """The reactor id the role ``name`` is tagged with ("" untagged); None: no such role."""
    iam = client("iam")
    try:
        tags = iam.get_role(RoleName=name)["Role"].get("Tags") or []
    except iam.exceptions.NoSuchEntityException:
        return None
    return next((t["Value"] for t in tags if t["Key"] == REACTOR_TAG), "")


def _function_owner(name: str) -> str | None:
    """The reactor id the function ``name`` is tagged with ("" untagged); None: no such one."""
    lam = client("lambda")
    try:
        tags = lam.get_function(FunctionName=name).get("Tags") or {}
    except lam.exceptions.ResourceNotFoundException:
        return None
    return str(tags.get(REACTOR_TAG, ""))


def _name_problems(reactor_id: str, name: str) -> list[str]:
    """Why ``name`` may not be created or changed for ``reactor_id``: reserved ids, names outside
    the reactors' namespace, a function or role there the installer did not create for it."""
    problems = reactor_id_problems(reactor_id)
    if not name.startswith(reactor_function_prefix()):
        problems.append(f"{name} is outside the reactors' names ({reactor_function_prefix()}*)")
        return problems
    for kind, owner in (("function", _function_owner(name)), ("role", _role_owner(name))):
        if owner not in (None, reactor_id):
            problems.append(f"the {kind} {name} exists and was not created for {reactor_id}")
    return problems


def _trust_check(item: LocalReactorModel, data: bytes, manifest: dict[str, Any], name: str) -> None:
    """`InstallRefusedError`, before anything is created, unless the reactor's name is its own,
    its dangerous actions are an official reactor's and an admin approved exactly those."""
    problems = _name_problems(item.reactor_id, name)
    problems += trust_problems(manifest, data, sdk=False)  # the verdict covers the SDK's bytes
    problems += approval_problems(manifest, list(item.approved_actions or []))
    if problems:
        raise InstallRefusedError("; ".join(problems) + "; refused, nothing was created")


def _transition(item: LocalReactorModel, actions: list[Any]) -> bool:
    """Apply ``actions`` while the item still asks to install this version."""
    try:
        item.update(
            actions=[*actions, LocalReactorModel.updated_at.set(datetime.now(UTC))],
            condition=(LocalReactorModel.status == "installing")
            & (LocalReactorModel.version == item.version),
        )
    except UpdateError as exc:
        if "ConditionalCheckFailed" in str(exc):
            return False
        raise
    return True


def _install(reactor_id: str, version: str) -> InstallOutcome:
    try:
        item = LocalReactorModel.get(reactor_id, consistent_read=True)
    except LocalReactorModel.DoesNotExist:
        return InstallOutcome(reactor_id, "ignored", "no longer requested")
    if item.status != "installing" or item.version != version:
        return InstallOutcome(reactor_id, "ignored", "stale record")
    name = reactor_function_name(reactor_id)
    role: _RoleState | None = None
    try:
        data, manifest = _checked_artifact(item)
        _trust_check(item, data, manifest, name)
        role = _role_ensure(manifest, name)
        function_arn, created_function = _function_ensure(manifest, data, role.arn, name)
    except (InstallRefusedError, ClientError, BotoCoreError) as exc:
        if role is not None and role.created:
            _role_delete(name)
        _role_policy_restore(name, role)  # an upgrade: the old code keeps its old permissions
        reason = str(exc)
        _transition(
            item,
            [LocalReactorModel.status.set("failed"), LocalReactorModel.status_reason.set(reason)],
        )
        logger.warning("install of %s %s failed: %s", reactor_id, version, reason)
        return InstallOutcome(reactor_id, "failed", reason)
    try:
        _installed_record(item, function_arn, name, role.arn)
    except Exception:
        # The registry cannot say "installed": remove what this attempt created, so nothing
        # runs half-installed; the error makes the stream deliver the record again.
        if created_function:
            _function_delete(name)
        if role.created:
            _role_delete(name)
        raise
    logger.info("installed %s %s as %s", reactor_id, version, function_arn)
    return InstallOutcome(reactor_id, "installed")


def _installed_record(item: LocalReactorModel, function_arn: str, name: str, role_arn: str) -> None:
    _transition(
        item,
        [
            LocalReactorModel.status.set("installed"),
            LocalReactorModel.status_reason.remove(),
            LocalReactorModel.function_arn.set(function_arn),
            LocalReactorModel.function_name.set(name),
            LocalReactorModel.role_arn.set(role_arn),
            LocalReactorModel.installed_at.set(datetime.now(UTC)),
            LocalReactorModel.previous_version.remove(),
        ],
    )


def reactor_resources_ensure(*, reactor_id: str) -> str:
    """Re-create the role and function of an installed reactor from its checked artifact (the
    local runtime after a restart: moto forgets them). Returns the function ARN."""
    item = LocalReactorModel.get(reactor_id, consistent_read=True)
    name = item.function_name or reactor_function_name(reactor_id)
    try:
        data, manifest = _checked_artifact(item)
        _trust_check(item, data, manifest, name)
    except InstallRefusedError as exc:
        raise ArtifactError(str(exc)) from exc
    role = _role_ensure(manifest, name)
    return _function_ensure(manifest, data, role.arn, name)[0]


def _uninstall(image: dict[str, Any]) -> InstallOutcome:
    reactor_id = image["reactor_id"]
    try:
        LocalReactorModel.get(reactor_id, consistent_read=True)
    except LocalReactorModel.DoesNotExist:
        pass
    else:
        return InstallOutcome(reactor_id, "ignored", "requested again since")
    name = image.get("function_name") or reactor_function_name(reactor_id)
    problems = _name_problems(reactor_id, name)
    if problems:  # never delete what is not this reactor's (the installer, another reactor...)
        logger.error("uninstall of %s refused: %s", reactor_id, "; ".join(problems))
        return InstallOutcome(reactor_id, "refused", "; ".join(problems))
    _function_delete(name)
    _role_delete(name)
    logger.info("uninstalled %s (%s)", reactor_id, name)
    return InstallOutcome(reactor_id, "uninstalled")


def reactor_stream_record_handle(record: StreamRecord) -> InstallOutcome:
    """Handle one ``security_local_reactors`` stream record (see the module docstring)."""
    if record.event_name == "REMOVE":
        return _uninstall(record.old_image or record.keys)
    new, old = record.new_image or {}, record.old_image or {}
    reactor_id = str(new.get("reactor_id") or record.keys.get("reactor_id", ""))
    wants_install = new.get("status") == "installing" and (
        record.event_name == "INSERT"
        or old.get("status") != "installing"
        or old.get("version") != new.get("version")
    )
    if not wants_install:
        return InstallOutcome(reactor_id, "ignored", "no install requested")
    return _install(reactor_id, str(new["version"]))
