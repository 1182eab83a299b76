"""``bootstrap --role members``: the member role in every account of chosen OUs, by a StackSet.

The consumer generates the member role's template (`deploy.member_role`: the ExternalId, the
union of the installed, approved reactors' permissions) and delivers it as one service-managed
CloudFormation StackSet, ``ouroboros-<stage>-member-role``:

- ``PermissionModel=SERVICE_MANAGED`` with ``AutoDeployment`` on (``RetainStacksOnAccountRemoval``
  off): an account joining a chosen OU gets the role, one leaving the organization loses it;
- stack instances in the chosen OUs and in every OU nested under them (`deploy.organization`
  walks them: AWS follows nesting itself, the emulator only one level down), in ONE region, the
  home region: IAM is global, so a second region's instance of the same named role fails with
  ``EntityAlreadyExists``;
- ``CallAs=DELEGATED_ADMIN`` when the caller is not the organization's management account
  (organizations:DescribeOrganization ``MasterAccountId`` against sts:GetCallerIdentity: no
  configuration key to keep in step), ``SELF`` otherwise. The management account itself never
  gets an instance (service-managed StackSets skip it), so it is not expected to have one;
- the ``ExternalId`` parameter (NoEcho) is the consumer's configured one
  (``OUROBOROS_EXTERNAL_ID``; it must agree with the Zappa settings' when a file is given). It is
  never printed. AWS answers NoEcho values as ``****``, so the StackSet's description carries a
  SHA-256 fingerprint of it: a changed ExternalId is seen, and redeployed, like a changed template.

Re-running updates the StackSet (UpdateStackSet, every instance) when the template, the
ExternalId or the auto-deployment setting differ, and adds instances for accounts that have none
(new accounts, new OUs); else it reports ``unchanged``. Every operation is awaited
(DescribeStackSetOperation) so the next one does not meet ``OperationInProgressException``.

`members_check` (``--check``) reports, per account of the chosen OUs: no stack instance (not yet
deployed), an instance not ``CURRENT`` (``OUTDATED``: stale), a StackSet whose template differs
from the generated one (stale: a reactor was installed or uninstalled since), and a role that is
gone although its instance is ``CURRENT`` (deleted by hand). The role is looked up with iam:GetRole
through an access role in the account (default ``OrganizationAccountAccessRole``, which AWS
Organizations creates in the accounts it creates and which trusts the management account); an
account where that role cannot be assumed is a note ("not verified"), not a problem. This works
the same in the emulator and on AWS; CloudFormation drift detection would need no access role
but the emulator lacks it.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deploy.functions import PROJECT
from deploy.member_role import (
    TEMPLATE_DESCRIPTION,
    installed_manifests,
    member_role_template,
)
from deploy.organization import MemberAccounts, organization_accounts, organization_caller
from deploy.report import ResourceReport
from deploy.retry import Sleep, error_code, error_message
from deploy.zappa_settings import zappa_settings_read
from ouroboros.aws import assume_role_session, client
from ouroboros.config import get_config
from ouroboros.errors import OuroborosError
from ouroboros.reactors.names import reactor_function_prefix

STACK_SET_SUFFIX = "member-role"
AUTO_DEPLOYMENT = {"Enabled": True, "RetainStacksOnAccountRemoval": False}
CAPABILITIES = ["CAPABILITY_NAMED_IAM"]  # the template names its role
#: A quarter of the accounts at a time; more than a tenth failing stops the operation.
OPERATION_PREFERENCES = {"MaxConcurrentPercentage": 25, "FailureTolerancePercentage": 10}
DEFAULT_ACCESS_ROLE = "OrganizationAccountAccessRole"
WAIT_SECONDS = 3600.0
POLL_SECONDS = 10.0
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")  # the template's AllowedPattern and lengths
_LISTED = 10  # accounts named in one report line


class MembersError(OuroborosError):
    """The member-role StackSet cannot be deployed or checked as asked (says why)."""


@dataclass(frozen=True)
class MembersPlan:
    """What the StackSet should be: name, home region, caller, template, targets."""

    stack_set_name: str
    region: str
    consumer_account: str
    call_as: str
    template: dict[str, Any]
    targets: MemberAccounts
    external_id: str = field(repr=False)

    @property
    def description(self) -> str:
        digest = hashlib.sha256(self.external_id.encode()).hexdigest()[:16]
        return f"{TEMPLATE_DESCRIPTION}; ExternalId sha256 {digest}"


@dataclass
class MembersCheck:
    """``problems``: not as designed (exit 1); ``notes``: what could not be verified."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@contextmanager
def _aws_errors() -> Iterator[None]:
    """An AWS refusal becomes a `MembersError` naming the call (no traceback for the operator)."""
    try:
        yield
    except ClientError as exc:
        raise MembersError(
            f"{exc.operation_name}: {error_code(exc)}: {error_message(exc)}"
        ) from exc


def _external_id(settings_path: Path | None) -> str:
    external_id = get_config().external_id
    if not external_id:
        raise MembersError(
            "the member role demands an ExternalId: set external_id in deploy.toml and export "
            "OUROBOROS_EXTERNAL_ID with the same value"
        )
    if not _EXTERNAL_ID.fullmatch(external_id):
        raise MembersError(
            "OUROBOROS_EXTERNAL_ID is not a valid ExternalId (2 to 1224 of letters, digits and "
            "+=,.@:/-_)"
        )
    if settings_path is not None and settings_path.is_file():
        for stage, settings in zappa_settings_read(settings_path).items():
            env = settings.get("aws_environment_variables", {})
            if env.get("OUROBOROS_ROLE", "consumer") != "consumer":
                continue
            deployed = env.get("OUROBOROS_EXTERNAL_ID")
            if deployed is not None and deployed != external_id:
                raise MembersError(
                    f"{settings_path.name} stage {stage!r} deploys another OUROBOROS_EXTERNAL_ID "
                    "than this shell's: the reactors would send one the member roles refuse "
                    "(export the value of deploy.toml's external_id)"
                )
    return external_id


def members_plan(
    ous: tuple[str, ...], *, region: str | None = None, settings_path: Path | None = None
) -> MembersPlan:
    """The StackSet to deploy for ``ous`` from this consumer, with today's installed reactors."""
    config = get_config()
    external_id = _external_id(settings_path)
    region = region or config.region
    with _aws_errors():
        account = client("sts", region=region).get_caller_identity()["Account"]
        management, call_as = organization_caller(account)
        targets = organization_accounts(ous, management=management)
    template = member_role_template(
        consumer_account=account,
        manifests=installed_manifests(),
        role_name=config.member_role_name,
        reactor_role_prefix=reactor_function_prefix(config.stage),
    )
    return MembersPlan(
        stack_set_name=f"{PROJECT}-{config.stage}-{STACK_SET_SUFFIX}",
        region=region,
        consumer_account=account,
        call_as=call_as,
        template=template,
        targets=targets,
        external_id=external_id,
    )


def _stack_set(cfn: Any, plan: MembersPlan) -> dict[str, Any] | None:
    try:
        stack_set: dict[str, Any] = cfn.describe_stack_set(
            StackSetName=plan.stack_set_name, CallAs=plan.call_as
        )["StackSet"]
    except cfn.exceptions.StackSetNotFoundException:
        return None
    if stack_set.get("Status") == "DELETED":
        return None
    return stack_set


def _actions(template: dict[str, Any]) -> set[str]:
    role = template.get("Resources", {}).get("MemberRemediationRole", {})
    return {
        action
        for policy in role.get("Properties", {}).get("Policies", [])
        for statement in policy.get("PolicyDocument", {}).get("Statement", [])
        for action in (
            [statement.get("Action")]
            if isinstance(statement.get("Action"), str)
            else statement.get("Action") or []
        )
    }


def stack_set_drift(stack_set: dict[str, Any], plan: MembersPlan) -> list[str]:
    """How the deployed StackSet differs from the plan (empty: as designed)."""
    drift: list[str] = []
    if stack_set.get("PermissionModel") != "SERVICE_MANAGED":
        raise MembersError(
            f"StackSet {plan.stack_set_name} is {stack_set.get('PermissionModel')}, not "
            "SERVICE_MANAGED: delete it (and its instances) and run bootstrap --role members again"
        )
    try:
        deployed = json.loads(stack_set.get("TemplateBody") or "{}")
    except json.JSONDecodeError:
        deployed = {}
    if deployed != plan.template:
        have, want = _actions(deployed), _actions(plan.template)
        changes = [f"+{a}" for a in sorted(want - have)] + [f"-{a}" for a in sorted(have - want)]
        drift.append("template (permissions " + " ".join(changes) + ")" if changes else "template")
    if stack_set.get("Description") != plan.description:
        drift.append("ExternalId")
    auto = stack_set.get("AutoDeployment")  # the emulator does not keep it
    if auto is not None and auto != AUTO_DEPLOYMENT:
        drift.append("auto-deployment")
    return drift


def _wait(
    cfn: Any, plan: MembersPlan, operation_id: str, sleep: Sleep, wait_seconds: float
) -> None:
    """Until the operation ends; fails naming the accounts it failed in."""
    waited = 0.0
    while True:
        status = cfn.describe_stack_set_operation(
            StackSetName=plan.stack_set_name, OperationId=operation_id, CallAs=plan.call_as
        )["StackSetOperation"]["Status"]
        if status == "SUCCEEDED":
            return
        if status in ("FAILED", "STOPPED"):
            failed = [
                f"{r.get('Account')}: {r.get('StatusReason', r.get('Status'))}"
                for r in _summaries(
                    cfn,
                    "list_stack_set_operation_results",
                    "Summaries",
                    StackSetName=plan.stack_set_name,
                    OperationId=operation_id,
                    CallAs=plan.call_as,
                )
                if r.get("Status") != "SUCCEEDED"
            ]
            raise MembersError(
                f"StackSet {plan.stack_set_name} operation {operation_id} {status}: "
                + ("; ".join(failed[:_LISTED]) or "no account named")
            )
        if waited >= wait_seconds:
            raise MembersError(
                f"StackSet {plan.stack_set_name} operation {operation_id} still {status} after "
                f"{wait_seconds:.0f} s: run bootstrap --role members again once it ends"
            )
        sleep(POLL_SECONDS)
        waited += POLL_SECONDS


def _parameters(plan: MembersPlan) -> list[dict[str, str]]:
    return [{"ParameterKey": "ExternalId", "ParameterValue": plan.external_id}]


def _summaries(cfn: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in cfn.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def _instances(cfn: Any, plan: MembersPlan) -> dict[str, dict[str, Any]]:
    """Account -> its stack instance in the home region."""
    return {
        summary["Account"]: summary
        for summary in _summaries(
            cfn,
            "list_stack_instances",
            "Summaries",
            StackSetName=plan.stack_set_name,
            CallAs=plan.call_as,
            StackInstanceRegion=plan.region,
        )
        if summary.get("Region", plan.region) == plan.region  # the emulator ignores the filter
    }


def _named(accounts: list[str]) -> list[str]:
    more = len(accounts) - _LISTED
    return accounts[:_LISTED] + ([f"and {more} more"] if more > 0 else [])


def members_deploy(
    plan: MembersPlan, *, sleep: Sleep = time.sleep, wait_seconds: float = WAIT_SECONDS
) -> list[ResourceReport]:
    """Create or update the StackSet, then add instances for the accounts without one."""
    cfn = client("cloudformation", region=plan.region)
    body = json.dumps(plan.template, indent=1)
    with _aws_errors():
        stack_set = _stack_set(cfn, plan)
        if stack_set is None:
            cfn.create_stack_set(
                StackSetName=plan.stack_set_name,
                Description=plan.description,
                TemplateBody=body,
                Parameters=_parameters(plan),
                Capabilities=CAPABILITIES,
                PermissionModel="SERVICE_MANAGED",
                AutoDeployment=AUTO_DEPLOYMENT,
                CallAs=plan.call_as,
                Tags=[{"Key": "project", "Value": PROJECT}],
            )
            report = ResourceReport("stackset", plan.stack_set_name, "created", [plan.call_as])
        elif drift := stack_set_drift(stack_set, plan):
            operation = cfn.update_stack_set(
                StackSetName=plan.stack_set_name,
                Description=plan.description,
                TemplateBody=body,
                Parameters=_parameters(plan),
                Capabilities=CAPABILITIES,
                PermissionModel="SERVICE_MANAGED",
                AutoDeployment=AUTO_DEPLOYMENT,
                OperationPreferences=OPERATION_PREFERENCES,
                CallAs=plan.call_as,
            )
            _wait(cfn, plan, operation["OperationId"], sleep, wait_seconds)
            report = ResourceReport("stackset", plan.stack_set_name, "updated", drift)
        else:
            report = ResourceReport("stackset", plan.stack_set_name, "unchanged")
        return [report, _instances_ensure(cfn, plan, stack_set, sleep, wait_seconds)]


def _untargeted(plan: MembersPlan, stack_set: dict[str, Any] | None) -> list[str]:
    """The chosen OUs the StackSet does not target yet (auto-deployment follows targets only).
    AWS lists the targets (``OrganizationalUnitIds``); where they are not known (the emulator),
    a new StackSet targets every chosen OU and an existing one those holding a missing account."""
    if stack_set is None:
        return list(plan.targets.chosen)
    if "OrganizationalUnitIds" not in stack_set:
        return []
    return [ou for ou in plan.targets.chosen if ou not in stack_set["OrganizationalUnitIds"]]


def _instances_ensure(
    cfn: Any,
    plan: MembersPlan,
    stack_set: dict[str, Any] | None,
    sleep: Sleep,
    wait_seconds: float,
) -> ResourceReport:
    """One CreateStackInstances per OU that holds an account without an instance (or is chosen
    and not yet targeted), in the walk's order (chosen OUs first): targeting an OU reaches those
    nested in it on AWS (the emulator one level down), so what is still missing is looked up
    again after each. One OU per
    call because the emulator, given an OU and its child together, creates one account's
    instance twice (``EntityAlreadyExists``); AWS skips instances that exist."""
    where = f"{plan.stack_set_name} in {plan.region}"
    missing = sorted(set(plan.targets.accounts) - set(_instances(cfn, plan)))
    before = list(missing)
    untargeted = _untargeted(plan, stack_set)
    targeted: list[str] = []
    for ou in plan.targets.ous:
        if ou not in untargeted and all(plan.targets.accounts[a] != ou for a in missing):
            continue
        operation = cfn.create_stack_instances(
            StackSetName=plan.stack_set_name,
            DeploymentTargets={"OrganizationalUnitIds": [ou]},
            Regions=[plan.region],
            OperationPreferences=OPERATION_PREFERENCES,
            CallAs=plan.call_as,
        )
        _wait(cfn, plan, operation["OperationId"], sleep, wait_seconds)
        targeted.append(ou)
        have = _instances(cfn, plan)
        missing = [a for a in missing if a not in have]
    if missing:
        raise MembersError(
            f"StackSet {plan.stack_set_name}: still no instance for "
            + ", ".join(_named(missing))
            + " after targeting their OUs"
        )
    if not targeted:
        count = f"{len(plan.targets.accounts)} account(s)"
        return ResourceReport("stack instances", where, "unchanged", [count])
    details = _named(before) if before else [f"targets {', '.join(targeted)}"]
    return ResourceReport("stack instances", where, "created", details)


def member_role_present(account: str, *, role_name: str, access_role: str) -> bool | None:
    """Whether ``role_name`` exists in ``account``, looked up through ``access_role`` there
    (None: the access role cannot be assumed, or may not read the role)."""
    session = assume_role_session(
        f"arn:aws:iam::{account}:role/{access_role}",
        external_id="",
        session_name="ouroboros-members-check",
    )
    iam = client("iam", session=session)
    try:
        iam.get_role(RoleName=role_name)
    except ClientError as exc:
        return False if error_code(exc) == "NoSuchEntity" else None
    except BotoCoreError:  # e.g. the access role's credentials could not be had
        return None
    return True


def members_check(plan: MembersPlan, *, access_role: str = DEFAULT_ACCESS_ROLE) -> MembersCheck:
    """Every account of the plan's OUs whose member role is missing, stale or not yet deployed."""
    check = MembersCheck()
    cfn = client("cloudformation", region=plan.region)
    rerun = "run bootstrap --role members"
    with _aws_errors():
        stack_set = _stack_set(cfn, plan)
        if stack_set is None:
            check.problems.append(f"StackSet {plan.stack_set_name} absent: {rerun}")
            have: dict[str, dict[str, Any]] = {}
        else:
            check.problems += [
                f"StackSet {plan.stack_set_name} stale: {drift} differs from the generated one "
                f"({rerun})"
                for drift in stack_set_drift(stack_set, plan)
            ]
            check.problems += [
                f"StackSet {plan.stack_set_name} does not target {ou}: accounts joining it would "
                f"not get the role ({rerun})"
                for ou in _untargeted(plan, stack_set)
            ]
            have = _instances(cfn, plan)
    role_name = get_config().member_role_name
    for account, ou in sorted(plan.targets.accounts.items()):
        instance = have.get(account)
        if instance is None:
            check.problems.append(
                f"account {account} ({ou}): not yet deployed, no stack instance in "
                f"{plan.region} ({rerun})"
            )
            continue
        status = instance.get("Status")
        if status != "CURRENT":
            reason = instance.get("StatusReason") or "no reason given"
            word = "stale" if status == "OUTDATED" else "not deployed"
            check.problems.append(
                f"account {account} ({ou}): {word}, stack instance {status} ({reason})"
            )
            continue
        if not access_role:
            continue
        present = member_role_present(account, role_name=role_name, access_role=access_role)
        if present is False:
            check.problems.append(
                f"account {account} ({ou}): role {role_name} missing although its stack instance "
                f"is CURRENT (deleted by hand?): delete the instance (DeleteStackInstances) and "
                f"{rerun}"
            )
        elif present is None:
            check.notes.append(
                f"account {account} ({ou}): role not verified (cannot use {access_role} there)"
            )
    for account in sorted(set(have) - set(plan.targets.accounts)):
        check.problems.append(
            f"account {account}: stack instance outside the chosen OUs (pass every OU the "
            "StackSet targets)"
        )
    return check
