"""``bootstrap``: create, idempotently, everything Zappa does not, for one deployment side.

Order (each step reports created / updated / unchanged / pending per resource):

1. tables (keys, GSIs, streams, deletion protection, point-in-time recovery);
2. consumer: notification topic, console secret key parameter and export bucket; hub: artifact
   bucket, its policy and the reader role consumers in other accounts assume
   (`deploy.hub_access`);
   both: the stream failure queue, the reactor permissions boundary (when the installer runs),
   the verdict signing KMS key (when the verifier runs; its report prints the public key
   consumers set as ``OUROBOROS_HUB_PUBLIC_KEY``, `deploy.signing`);
3. one least-privilege role per function (Zappa deploys the functions with these roles; the
   console's also trusts API Gateway, whose Zappa integration uses it, and a function with a
   ``vpc_config`` in the Zappa settings gets the network-interface actions, `deploy.iam`);
4. consumer: the state machine (task ARNs filled in) with its role, the EventBridge role, the
   Security Hub custom action and the rules of ``statemachine/rules.json``;
5. triggers of deployed functions: stream mappings, rules of ``rule`` functions, the topic
   subscription. Before ``zappa deploy`` these are ``pending``; run bootstrap again after it.
6. the side's CloudWatch alarms and dashboard (`deploy.alarms`; the README's Runbook says what
   each alarm means and what to do).

A second run changes nothing and reports ``unchanged`` everywhere; a run after something drifted
repairs it and reports ``updated`` with what it changed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from deploy import iam, signing, streams, supporting, workflow
from deploy.alarms import alarms_ensure
from deploy.functions import FunctionSpec, functions_for
from deploy.hub_access import hub_access_ensure
from deploy.naming import Deployment, deployment_current, table_names_collision
from deploy.report import ResourceReport
from deploy.retry import Sleep
from deploy.tables import tables_deploy
from deploy.zappa_settings import zappa_settings_read
from ouroboros.config import Role, get_config
from ouroboros.errors import OuroborosError


class BootstrapError(OuroborosError):
    """Bootstrap cannot proceed (mismatched stage or region, unknown placeholder...)."""


#: Settings bootstrap derives names and grants from: the functions must get the same (the Zappa
#: settings deliver them from ``deploy.toml``), else bootstrap grants another Hub role or names
#: other tables than the functions use.
AGREED_SETTINGS = {
    "OUROBOROS_HUB_ROLE_ARN": "hub_role_arn",
    "OUROBOROS_HUB_TABLE_PREFIX": "hub_table_prefix",
    "OUROBOROS_HUB_STAGE": "hub_stage",
    "OUROBOROS_HUB_REGION": "hub_region",
    "OUROBOROS_HUB_CONSUMER_ACCOUNTS": "hub_consumer_accounts",
}


def settings_agree(settings_path: Path | None, deployment: Deployment) -> None:
    """Fail when the Zappa settings deploy another stage or region than this shell targets, or
    another Hub role or Hub table prefix (`AGREED_SETTINGS`) for this side's functions."""
    if settings_path is None or not settings_path.is_file():
        return
    config = get_config()
    for stage, settings in zappa_settings_read(settings_path).items():
        env_stage = settings.get("aws_environment_variables", {}).get("OUROBOROS_STAGE")
        if env_stage and env_stage != deployment.stage:
            raise BootstrapError(
                f"{settings_path.name} stage {stage!r} deploys OUROBOROS_STAGE={env_stage}, this "
                f"shell targets {deployment.stage}: export OUROBOROS_STAGE={env_stage}"
            )
        region = settings.get("aws_region")
        if region and region != deployment.region:
            raise BootstrapError(
                f"{settings_path.name} stage {stage!r} deploys to {region}, bootstrap targets "
                f"{deployment.region}: pass --region {region}"
            )
        env = settings.get("aws_environment_variables", {})
        exports = env.get("OUROBOROS_EXPORT_BUCKET")
        if deployment.side == "consumer" and exports and exports != deployment.export_bucket:
            raise BootstrapError(
                f"{settings_path.name} stage {stage!r} deploys OUROBOROS_EXPORT_BUCKET={exports}, "
                f"bootstrap creates {deployment.export_bucket} in this account: set "
                f'export_bucket = "{deployment.export_bucket}" in deploy.toml and run '
                "python manage.py zappa_settings --write"
            )
        if env.get("OUROBOROS_ROLE", deployment.side) == deployment.side:
            for name, field in AGREED_SETTINGS.items():
                value = getattr(config, field, "")
                shell = ",".join(value) if isinstance(value, tuple) else str(value)
                if name in env and env[name] != shell:
                    raise BootstrapError(
                        f"{settings_path.name} stage {stage!r} deploys {name}={env[name]}, this "
                        f"shell has {shell!r}: export {name}={env[name]}"
                    )


def settings_vpc_functions(settings_path: Path | None) -> frozenset[str]:
    """The function keys whose Zappa stage has a ``vpc_config`` (they need ENI permissions)."""
    if settings_path is None or not settings_path.is_file():
        return frozenset()
    settings = zappa_settings_read(settings_path)
    return frozenset(
        key for key, stage in settings.items() if (stage.get("vpc_config") or {}).get("SubnetIds")
    )


def _tasks_ready(specs: tuple[FunctionSpec, ...]) -> tuple[list[FunctionSpec], list[str]]:
    """The task functions, and the definition's placeholders no enabled task fills."""
    text = (workflow.statemachine_dir() / workflow.DEFINITION_FILE).read_text()
    tasks = [s for s in specs if s.trigger == "task"]
    filled = {s.placeholder for s in tasks}
    return tasks, sorted(workflow.definition_placeholders(text) - filled)


def _workflow(
    specs: tuple[FunctionSpec, ...], deployment: Deployment, sleep: Sleep
) -> list[ResourceReport]:
    tasks, missing = _tasks_ready(specs)
    if missing:
        return [
            ResourceReport(
                "state machine",
                deployment.state_machine_name,
                "pending",
                [f"no enabled task function fills {', '.join(missing)}"],
            )
        ]
    reports = [
        iam.role_ensure(
            deployment.state_machine_role,
            service="states.amazonaws.com",
            policy=iam.state_machine_policy(tasks, deployment),
            deployment=deployment,
            description="Ouroboros state machine: invokes its task functions only",
        ),
        workflow.state_machine_ensure(
            workflow.definition_render(tasks, deployment), deployment, sleep=sleep
        ),
        iam.role_ensure(
            deployment.events_role,
            service="events.amazonaws.com",
            policy=iam.events_policy(deployment),
            deployment=deployment,
            description="Ouroboros EventBridge rules: start the state machine only",
        ),
    ]
    raw = json.loads((workflow.statemachine_dir() / workflow.RULES_FILE).read_text())
    action_arn = ""
    for rule in raw.values():
        if "ActionTargetId" in rule:
            action_arn, report = workflow.custom_action_ensure(rule, deployment)
            reports.append(report)
    for rule in workflow.rules_render(action_arn).values():
        reports.append(workflow.state_machine_rule_ensure(rule, deployment))
    return reports


def _triggers(specs: tuple[FunctionSpec, ...], deployment: Deployment) -> list[ResourceReport]:
    reports = []
    for spec in specs:
        if spec.trigger == "stream":
            reports.append(streams.mapping_ensure(spec, deployment))
        elif spec.trigger == "rule":
            reports.append(workflow.function_rule_ensure(spec, deployment))
        elif spec.trigger == "subscriber":
            reports.append(supporting.subscription_ensure(spec, deployment))
    return reports


def bootstrap_run(
    side: Role,
    *,
    region: str | None = None,
    include_planned: bool = False,
    settings_path: Path | None = None,
    sleep: Sleep = time.sleep,
) -> list[ResourceReport]:
    """Create or repair every resource of ``side`` that Zappa does not; one report each.

    ``sleep`` paces the retries of calls AWS refuses just after a creation (`deploy.retry`).
    """
    deployment = deployment_current(side, region=region or get_config().region)
    settings_agree(settings_path, deployment)
    collision = table_names_collision()
    if collision:
        raise BootstrapError(collision)
    specs = functions_for(side, include_planned=include_planned)
    in_vpc = settings_vpc_functions(settings_path)
    reports = tables_deploy(deployment, sleep=sleep)
    if side == "consumer":
        reports.append(supporting.topic_ensure(deployment))
        if any(s.package == "console" for s in specs):
            reports.append(supporting.secret_key_ensure(deployment))
            reports.append(supporting.export_bucket_ensure(deployment))
    else:
        reports.append(supporting.hub_bucket_ensure(deployment))
        reports += hub_access_ensure(deployment)
    if any(s.trigger == "stream" for s in specs):
        reports.append(streams.failure_queue_ensure(deployment))
    if any("reactor_manage" in s.grants for s in specs):
        reports.append(iam.boundary_ensure(deployment))
    if any("verdict_sign" in s.grants for s in specs):  # the Hub's verifier signs verdicts
        reports.append(signing.signing_key_ensure(deployment))
    for spec in specs:
        reports.append(
            iam.role_ensure(
                spec.role_name(deployment.stage),
                service=spec.services,
                policy=iam.function_policy(spec, deployment, vpc=spec.key in in_vpc),
                deployment=deployment,
                description=f"Ouroboros {spec.key}: {spec.description}",
            )
        )
    if side == "consumer":
        reports += _workflow(specs, deployment, sleep)
    reports += _triggers(specs, deployment)
    reports += alarms_ensure(specs, deployment)
    return reports
