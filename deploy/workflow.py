"""The remediation workflow's AWS resources: state machine, Security Hub custom action, rules.

- The state machine is ``statemachine/security_hub_finding_reactor.asl.json`` with every
  ``${<Name>FunctionArn}`` placeholder replaced by the ARN of the task function whose
  ``placeholder`` it is (an unknown placeholder is an error, never left in), as a STANDARD state
  machine with its own role (`deploy.iam.state_machine_policy`).
- The custom action "Fix with Ouroboros" is created in Security Hub; its ARN fills
  ``${CustomActionArn}`` in ``statemachine/rules.json``.
- Each rule of ``rules.json`` targets the state machine through the EventBridge role, unless its
  ``Target`` names a function (trigger ``workflow_rule``: the Imported rule targets the
  pre-filter, `ouroboros.workflow.prefilter`); function rules (trigger ``rule``) and those target
  their function, which gets an invoke permission scoped to the rule's ARN.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from deploy.functions import FunctionSpec, function_get
from deploy.naming import Deployment, function_deployed
from deploy.report import Action, ResourceReport
from deploy.retry import Sleep, error_code, error_message, propagation_retry
from deploy.runtime_env import project_root
from ouroboros.aws import client
from ouroboros.errors import OuroborosError

DEFINITION_FILE = "security_hub_finding_reactor.asl.json"
RULES_FILE = "rules.json"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


class WorkflowError(OuroborosError):
    """The workflow cannot be deployed as described (unknown placeholder, Security Hub off...)."""


def statemachine_dir() -> Path:
    return project_root() / "statemachine"


def definition_placeholders(text: str) -> set[str]:
    """The ``${...}`` names in a definition or rule text."""
    return set(PLACEHOLDER.findall(text))


def _substitute(text: str, values: dict[str, str]) -> str:
    missing = definition_placeholders(text) - set(values)
    if missing:
        raise WorkflowError(f"no value for placeholder(s): {', '.join(sorted(missing))}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def definition_render(tasks: list[FunctionSpec], deployment: Deployment) -> str:
    """The state machine definition with the task function ARNs filled in."""
    text = (statemachine_dir() / DEFINITION_FILE).read_text()
    values = {s.placeholder: deployment.function_arn(s) for s in tasks if s.placeholder}
    return json.dumps(json.loads(_substitute(text, values)), indent=2, sort_keys=True)


def rules_render(custom_action_arn: str) -> dict[str, dict[str, Any]]:
    """``rules.json`` with the custom action ARN filled in."""
    text = (statemachine_dir() / RULES_FILE).read_text()
    rules: dict[str, dict[str, Any]] = json.loads(
        _substitute(text, {"CustomActionArn": custom_action_arn})
    )
    return rules


def _same_json(a: str, b: str) -> bool:
    return json.loads(a) == json.loads(b)


def role_not_assumable_yet(exc: ClientError) -> bool:
    """Step Functions' answer while a role just created has not reached its IAM endpoint."""
    return error_code(exc) == "AccessDeniedException" and "assume the provided role" in (
        error_message(exc)
    )


def state_machine_ensure(
    definition: str, deployment: Deployment, *, sleep: Sleep = time.sleep
) -> ResourceReport:
    """Create the state machine or bring its definition and role up to date.

    The role is created just before (bootstrap's step 4), so Step Functions may refuse it for a
    few seconds: both calls wait that out (`deploy.retry`).
    """
    sfn = client("stepfunctions", region=deployment.region)
    role = deployment.role_arn(deployment.state_machine_role)
    arn = deployment.state_machine_arn
    try:
        current = sfn.describe_state_machine(stateMachineArn=arn)
    except sfn.exceptions.StateMachineDoesNotExist:
        propagation_retry(
            lambda: sfn.create_state_machine(
                name=deployment.state_machine_name,
                definition=definition,
                roleArn=role,
                type="STANDARD",
                tags=[
                    {"key": "project", "value": "ouroboros"},
                    {"key": "stage", "value": deployment.stage},
                ],
            ),
            retry_on=role_not_assumable_yet,
            sleep=sleep,
            what=f"create state machine {deployment.state_machine_name} with role {role}",
        )
        return ResourceReport("state machine", deployment.state_machine_name, "created")
    drift = []
    if not _same_json(current["definition"], definition):
        drift.append("definition")
    if current["roleArn"] != role:
        drift.append("role")
    if drift:
        propagation_retry(
            lambda: sfn.update_state_machine(
                stateMachineArn=arn, definition=definition, roleArn=role
            ),
            retry_on=role_not_assumable_yet,
            sleep=sleep,
            what=f"update state machine {deployment.state_machine_name} with role {role}",
        )
    return ResourceReport(
        "state machine", deployment.state_machine_name, "updated" if drift else "unchanged", drift
    )


def custom_action_ensure(
    rule: dict[str, Any], deployment: Deployment
) -> tuple[str, ResourceReport]:
    """The Security Hub custom action of ``rule`` (created or renamed); its ARN and report."""
    hub = client("securityhub", region=deployment.region)
    action_id = rule["ActionTargetId"]
    arn = f"arn:aws:securityhub:{deployment.region}:{deployment.account}:action/custom/{action_id}"
    name, description = rule["ActionTargetName"], rule["ActionTargetDescription"]
    try:
        found = hub.describe_action_targets(ActionTargetArns=[arn])["ActionTargets"]
    except hub.exceptions.ResourceNotFoundException:
        found = []
    except hub.exceptions.InvalidAccessException as exc:
        raise WorkflowError(
            f"Security Hub is not enabled in {deployment.account} / {deployment.region}: "
            "enable it (and make this the administrator account) before bootstrap"
        ) from exc
    if not found:
        created = hub.create_action_target(Name=name, Description=description, Id=action_id)
        return created["ActionTargetArn"], ResourceReport("custom action", action_id, "created")
    current = found[0]
    drift = [k for k, v in (("Name", name), ("Description", description)) if current.get(k) != v]
    if drift:
        hub.update_action_target(ActionTargetArn=arn, Name=name, Description=description)
    report = ResourceReport("custom action", action_id, "updated" if drift else "unchanged", drift)
    return arn, report


def _rule_ensure(
    name: str,
    pattern: dict[str, Any],
    description: str,
    target: dict[str, str],
    deployment: Deployment,
) -> tuple[str, ResourceReport]:
    events = client("events", region=deployment.region)
    wanted_pattern = json.dumps(pattern, sort_keys=True)
    try:
        current = events.describe_rule(Name=name)
    except events.exceptions.ResourceNotFoundException:
        current = None
    drift = []
    if current is None or not _same_json(current.get("EventPattern", "{}"), wanted_pattern):
        drift.append("pattern")
    if current is not None and current.get("State") != "ENABLED":
        drift.append("state")
    if current is not None and current.get("Description", "") != description:
        drift.append("description")
    rule_arn = current["Arn"] if current else ""
    if drift:
        rule_arn = events.put_rule(
            Name=name, EventPattern=wanted_pattern, State="ENABLED", Description=description
        )["RuleArn"]
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    if targets != [target]:
        wrong = [t["Id"] for t in targets if t != target]
        if wrong:
            events.remove_targets(Rule=name, Ids=wrong)
        events.put_targets(Rule=name, Targets=[target])
        if current is not None:
            drift.append("target")
    action: Action = "created" if current is None else ("updated" if drift else "unchanged")
    return rule_arn, ResourceReport(
        "eventbridge rule", name, action, [] if current is None else drift
    )


def rule_target_function(rule: dict[str, Any]) -> FunctionSpec | None:
    """The function a rule of ``rules.json`` targets (its ``Target``); None: the state machine."""
    key = rule.get("Target")
    if not key:
        return None
    spec = function_get(str(key))
    if spec.trigger != "workflow_rule":
        raise WorkflowError(f"rule {rule['Name']}: function {key} is not a workflow_rule function")
    return spec


def rule_target_arn(rule: dict[str, Any], deployment: Deployment) -> str:
    """The ARN a rule of ``rules.json`` delivers to: its function's, or the state machine's."""
    spec = rule_target_function(rule)
    return deployment.function_arn(spec) if spec else deployment.state_machine_arn


def state_machine_rule_ensure(rule: dict[str, Any], deployment: Deployment) -> ResourceReport:
    """A rule of ``rules.json`` -> the state machine, through the EventBridge role, or the
    function its ``Target`` names (an existing rule's old target is replaced)."""
    spec = rule_target_function(rule)
    if spec is not None:
        return _function_target_ensure(
            spec,
            deployment.rule_name(rule["Name"]),
            rule["EventPattern"],
            rule["Description"],
            deployment,
        )
    target = {
        "Id": "state-machine",
        "Arn": deployment.state_machine_arn,
        "RoleArn": deployment.role_arn(deployment.events_role),
    }
    name = deployment.rule_name(rule["Name"])
    _, report = _rule_ensure(name, rule["EventPattern"], rule["Description"], target, deployment)
    return report


def function_rule_ensure(spec: FunctionSpec, deployment: Deployment) -> ResourceReport:
    """The rule of a ``rule`` function -> that function, with a permission scoped to the rule."""
    name = deployment.rule_name(f"{spec.key}-trigger".replace("_", "-"))
    pattern = dict(spec.event_pattern or {})
    return _function_target_ensure(spec, name, pattern, spec.description, deployment)


def _function_target_ensure(
    spec: FunctionSpec,
    name: str,
    pattern: dict[str, Any],
    description: str,
    deployment: Deployment,
) -> ResourceReport:
    if not function_deployed(deployment.function_arn(spec), deployment):
        return ResourceReport("eventbridge rule", name, "pending", ["function not deployed yet"])
    target = {"Id": "function", "Arn": deployment.function_arn(spec)}
    rule_arn, report = _rule_ensure(name, pattern, description, target, deployment)
    added = permission_ensure(spec, deployment, "events.amazonaws.com", rule_arn, name)
    if added and report.action == "unchanged":
        report.action = "updated"
        report.details.append("invoke permission")
    return report


def permission_ensure(
    spec: FunctionSpec, deployment: Deployment, principal: str, source_arn: str, statement: str
) -> bool:
    """Let ``principal`` invoke ``spec`` from ``source_arn`` only; True when it was added.

    Returns False (nothing to do) when the permission exists already. The function must exist.
    """
    lam = client("lambda", region=deployment.region)
    function = deployment.function_arn(spec)
    try:
        policy = json.loads(lam.get_policy(FunctionName=function)["Policy"])
    except lam.exceptions.ResourceNotFoundException:  # a function without any policy yet
        policy = {"Statement": []}
    if any(s.get("Sid") == statement for s in policy.get("Statement", [])):
        return False
    lam.add_permission(
        FunctionName=function,
        StatementId=statement,
        Action="lambda:InvokeFunction",
        Principal=principal,
        SourceArn=source_arn,
        SourceAccount=deployment.account,
    )
    return True
