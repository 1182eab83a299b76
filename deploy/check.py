"""Verify a deployment resource by resource: every problem found is one line of text.

Used by ``python manage.py bootstrap --check`` and the deploy rehearsal test. Checks the tables
(keys, GSIs, streams, deletion protection, PITR), every function (exists, runtime, handler, role,
memory, timeout, stage), its role's policy, its trigger (schedule, stream mapping with starting
position and ReportBatchItemFailures, rule, subscription), and on the consumer side the state
machine (definition with the task ARNs, role), the rules of ``statemachine/rules.json`` and the
console's export bucket (private, encrypted, exports expiring: `deploy.supporting`); on
both sides the CloudWatch alarms (each setting of `deploy.alarms.ALARMS`) and the dashboard.

A role is compared with what bootstrap writes: its trust (the console's trusts API Gateway too)
and its inline policy (with the network-interface actions when the deployed function is in a
VPC). With a `PolicyJudge` (the ``bootstrap`` command passes one built on the emulator's IAM
evaluator; the deploy package may not import the emulator) the check also *evaluates* the
console's role as API Gateway uses it: may ``apigateway.amazonaws.com`` assume it, and may the
role then ``lambda:InvokeFunction`` the console? A role that fails either makes every request
answer 500 (`console_invoke_problems`).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from deploy import iam, streams, supporting, workflow
from deploy.alarms import alarm_problems
from deploy.functions import FunctionSpec, functions_for
from deploy.naming import Deployment, deployment_current
from deploy.signing import signing_key_problems
from deploy.tables import table_problems
from deploy.zappa_settings import RUNTIME
from ouroboros.aws import client
from ouroboros.config import Role, get_config
from ouroboros.models import CONSUMER_MODELS, HUB_MODELS, bind_models

ZAPPA_HANDLER = "handler.lambda_handler"
APIGATEWAY = "apigateway.amazonaws.com"


class PolicyJudge(Protocol):
    """Evaluates IAM documents the way AWS does (each answer: None when allowed, else why not)."""

    def assume_refused(self, trust: dict[str, Any], service: str) -> str | None:
        """Why ``service`` may not assume a role with this trust policy."""

    def call_refused(
        self, policies: list[dict[str, Any]], action: str, resource: str, principal: str
    ) -> str | None:
        """Why ``principal`` holding ``policies`` may not call ``action`` on ``resource``."""


def _function_in_vpc(spec: FunctionSpec, deployment: Deployment) -> bool:
    lam = client("lambda", region=deployment.region)
    try:
        config = lam.get_function(FunctionName=deployment.function_arn(spec))["Configuration"]
    except lam.exceptions.ResourceNotFoundException:
        return False
    return bool((config.get("VpcConfig") or {}).get("SubnetIds"))


def _function_problems(spec: FunctionSpec, deployment: Deployment) -> list[str]:
    lam = client("lambda", region=deployment.region)
    try:
        config = lam.get_function(FunctionName=deployment.function_arn(spec))["Configuration"]
    except lam.exceptions.ResourceNotFoundException:
        return [f"{spec.key}: function {spec.lambda_name(deployment.stage)} missing"]
    handler = ZAPPA_HANDLER if spec.package == "console" else spec.handler
    wanted = {
        "Runtime": RUNTIME,
        "Handler": handler,
        "Role": deployment.role_arn(spec.role_name(deployment.stage)),
        "MemorySize": spec.memory,
        "Timeout": spec.timeout,
    }
    problems = [
        f"{spec.key}: {key} is {config.get(key)!r}, expected {value!r}"
        for key, value in wanted.items()
        if config.get(key) != value
    ]
    env = config.get("Environment", {}).get("Variables", {})
    if env.get("OUROBOROS_STAGE") != deployment.stage:
        problems.append(f"{spec.key}: OUROBOROS_STAGE is {env.get('OUROBOROS_STAGE')!r}")
    return problems


def _role_problems(spec: FunctionSpec, deployment: Deployment) -> list[str]:
    iam_client = client("iam", region=deployment.region)
    name = spec.role_name(deployment.stage)
    try:
        role = iam_client.get_role(RoleName=name)["Role"]
        document = iam_client.get_role_policy(RoleName=name, PolicyName=iam.POLICY_NAME)
    except iam_client.exceptions.NoSuchEntityException:
        return [f"{spec.key}: role {name} or its policy missing"]
    problems = []
    trust = role["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(trust)
    if _canonical(trust) != _canonical(iam.trust_policy(spec.services)):
        problems.append(f"{spec.key}: role {name} trusts other than {', '.join(spec.services)}")
    wanted = iam.function_policy(spec, deployment, vpc=_function_in_vpc(spec, deployment))
    if _canonical(document["PolicyDocument"]) != _canonical(wanted):
        problems.append(f"{spec.key}: role {name} permissions differ from the function list")
    return problems


def _canonical(document: Any) -> str:
    if isinstance(document, str):
        document = json.loads(document)
    return json.dumps(document, sort_keys=True)


def console_invoke_problems(
    spec: FunctionSpec, deployment: Deployment, judge: PolicyJudge
) -> list[str]:
    """Why API Gateway cannot call ``spec`` (an ``http`` function) through Zappa's integration,
    which hands API Gateway the function's own role: the role's trust must let API Gateway assume
    it, and the role's policies must allow ``lambda:InvokeFunction`` on the function."""
    iam_client = client("iam", region=deployment.region)
    name = spec.role_name(deployment.stage)
    try:
        role = iam_client.get_role(RoleName=name)["Role"]
    except iam_client.exceptions.NoSuchEntityException:
        return []  # reported by the role check
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    problems = []
    refused = judge.assume_refused(trust, APIGATEWAY)
    if refused:
        problems.append(f"{spec.key}: API Gateway cannot assume role {name} ({refused})")
    policies = []
    for policy_name in iam_client.list_role_policies(RoleName=name)["PolicyNames"]:
        document = iam_client.get_role_policy(RoleName=name, PolicyName=policy_name)
        policies.append(json.loads(_canonical(document["PolicyDocument"])))
    session = f"arn:aws:sts::{deployment.account}:assumed-role/{name}/{APIGATEWAY}"
    refused = judge.call_refused(
        policies, "lambda:InvokeFunction", deployment.function_arn(spec), session
    )
    if refused:
        problems.append(f"{spec.key}: role {name} may not invoke the function ({refused})")
    return problems


def _schedule_problems(spec: FunctionSpec, deployment: Deployment) -> list[str]:
    events = client("events", region=deployment.region)
    names = events.list_rule_names_by_target(TargetArn=deployment.function_arn(spec))["RuleNames"]
    rules = [events.describe_rule(Name=n) for n in names]
    if not any(
        r.get("ScheduleExpression") == spec.schedule and r.get("State") == "ENABLED" for r in rules
    ):
        return [f"{spec.key}: no enabled schedule {spec.schedule}"]
    return []


def _rule_problems(
    name: str, pattern: dict[str, Any], target_arn: str, deployment: Deployment
) -> list[str]:
    events = client("events", region=deployment.region)
    try:
        rule = events.describe_rule(Name=name)
    except events.exceptions.ResourceNotFoundException:
        return [f"rule {name} missing"]
    problems = []
    if json.loads(rule.get("EventPattern", "{}")) != pattern:
        problems.append(f"rule {name}: event pattern differs")
    if rule.get("State") != "ENABLED":
        problems.append(f"rule {name}: {rule.get('State')}")
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    if [t["Arn"] for t in targets] != [target_arn]:
        problems.append(f"rule {name}: targets {[t['Arn'] for t in targets]}")
    return problems


def _trigger_problems(spec: FunctionSpec, deployment: Deployment) -> list[str]:
    if spec.trigger == "schedule":
        return _schedule_problems(spec, deployment)
    if spec.trigger == "stream":
        return streams.mapping_problems(spec, deployment)
    if spec.trigger == "subscriber":
        return supporting.subscription_problems(spec, deployment)
    if spec.trigger == "rule":
        name = deployment.rule_name(f"{spec.key}-trigger".replace("_", "-"))
        return _rule_problems(
            name, dict(spec.event_pattern or {}), deployment.function_arn(spec), deployment
        )
    return []


def _workflow_problems(specs: tuple[FunctionSpec, ...], deployment: Deployment) -> list[str]:
    sfn = client("stepfunctions", region=deployment.region)
    tasks = [s for s in specs if s.trigger == "task"]
    try:
        machine = sfn.describe_state_machine(stateMachineArn=deployment.state_machine_arn)
    except sfn.exceptions.StateMachineDoesNotExist:
        return [f"state machine {deployment.state_machine_name} missing"]
    problems = []
    try:
        wanted = json.loads(workflow.definition_render(tasks, deployment))
    except workflow.WorkflowError as exc:
        return [f"state machine: {exc}"]
    if json.loads(machine["definition"]) != wanted:
        problems.append("state machine: definition differs from statemachine/")
    if machine["roleArn"] != deployment.role_arn(deployment.state_machine_role):
        problems.append(f"state machine: role {machine['roleArn']}")
    action = ""
    raw = json.loads((workflow.statemachine_dir() / workflow.RULES_FILE).read_text())
    for rule in raw.values():
        if "ActionTargetId" in rule:
            action = (
                f"arn:aws:securityhub:{deployment.region}:{deployment.account}:action/custom/"
                f"{rule['ActionTargetId']}"
            )
    for rule in workflow.rules_render(action).values():
        problems += _rule_problems(
            deployment.rule_name(rule["Name"]),
            rule["EventPattern"],
            workflow.rule_target_arn(rule, deployment),
            deployment,
        )
    return problems


def deployment_problems(
    side: Role,
    *,
    region: str | None = None,
    include_planned: bool = False,
    judge: PolicyJudge | None = None,
) -> list[str]:
    """Everything that is missing or not as designed in the side's deployment (empty: all good).

    With ``judge``, the roles API Gateway uses are evaluated too (`console_invoke_problems`)."""
    deployment = deployment_current(side, region=region or get_config().region)
    bind_models()
    problems: list[str] = []
    for model in HUB_MODELS if side == "hub" else CONSUMER_MODELS:
        problems += table_problems(model, deployment)
    specs = functions_for(side, include_planned=include_planned)
    for spec in specs:
        problems += _function_problems(spec, deployment)
        problems += _role_problems(spec, deployment)
        problems += _trigger_problems(spec, deployment)
        if judge is not None and APIGATEWAY in spec.services:
            problems += console_invoke_problems(spec, deployment, judge)
    if side == "consumer":
        problems += _workflow_problems(specs, deployment)
        if any(s.package == "console" for s in specs):
            problems += supporting.export_bucket_problems(deployment)
    if any("verdict_sign" in s.grants for s in specs):  # the verifier signs with this key
        problems += signing_key_problems(deployment)
    problems += alarm_problems(specs, deployment)
    return problems
