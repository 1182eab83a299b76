"""The one list of functions Ouroboros deploys, and the names every deployed resource derives from.

Everything else reads this list: ``zappa_settings.json`` is generated from it
(`deploy.zappa_settings`), bootstrap creates each function's role, stream mapping, rule
or subscription from it, the state machine's ``${...FunctionArn}`` placeholders are filled from
it, and the deployment check verifies it.

Each function is its own Zappa stage (Zappa deploys one Lambda function per stage), so each has
its own memory, timeout and least-privilege role. The worker stages all extend the ``workers``
stage, which is only the packaging base: ``zappa package workers`` builds the one zip every worker
function is deployed from. Worker functions run our handler directly (Zappa's ``lambda_handler``
setting), not through Zappa's WSGI handler, so they start without Django.

``planned`` entries name handler modules that other parts of the project are still building;
they are left out of ``zappa_settings.json`` and of bootstrap until the integrator flips
``planned`` to False when the module lands (the rehearsal test deploys them anyway with
``include_planned=True``: neither Zappa nor the emulator imports a handler at deploy time).

Trigger kinds:

- ``http``: the console, behind API Gateway (Zappa creates it).
- ``schedule``: Zappa ``events`` with an ``expression`` (EventBridge schedule rules).
- ``stream``: a DynamoDB stream event source mapping, created by bootstrap (not Zappa: Zappa
  0.61+ omits ``StartingPosition`` for stream sources and only logs the failure).
- ``task``: a Step Functions task; ``placeholder`` names its ``${...}`` in the state machine.
- ``rule``: an EventBridge rule with an event pattern (bootstrap creates it).
- ``workflow_rule``: the target of a rule of ``statemachine/rules.json`` whose ``Target`` names
  the function (bootstrap's workflow step creates the rule, `deploy.workflow.workflow_rule_ensure`).
- ``subscriber``: subscribed to the notification topic (bootstrap subscribes it).

Grants (what a function's role may do besides its tables and logs; `deploy.iam` turns
them into statements scoped to this deployment's ARNs): see `GRANTS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ouroboros.config import Role

Trigger = Literal[
    "http", "schedule", "stream", "task", "rule", "workflow_rule", "subscriber", "invoke"
]
StartingPosition = Literal["LATEST", "TRIM_HORIZON"]

#: The Zappa project name is ``ouroboros-<stage>``; Lambda names are ``ouroboros-<stage>-<key>``.
PROJECT = "ouroboros"

#: What each grant allows (documentation and the vocabulary `deploy.iam` accepts).
GRANTS: dict[str, str] = {
    "import_probe_invoke": "invoke the Hub's permission-less import probe (the verifier)",
    "securityhub_read": "read Security Hub standards, controls and findings",
    "securityhub_update": "BatchUpdateFindings (workflow status and notes on findings)",
    "sns_publish": "publish to this deployment's notification topic",
    "states_start": "start executions of this deployment's state machine (Remediate now)",
    "reactor_invoke": "invoke the reactor functions installed by this deployment",
    "reactor_manage": "create, update and delete reactor functions and their roles",
    "hub_read": "assume the Hub catalog role (OUROBOROS_HUB_ROLE_ARN) to read the catalog",
    "hub_artifacts_read": "read reactor artifacts from the Hub bucket",
    "verdict_sign": "write signed verdicts (the only writer of that table), sign with the Hub key",
    "secret_parameters": "read this deployment's SSM parameters (/ouroboros/<stage>/*)",
    "exports_write": "put and get findings exports under exports/ of the export bucket",
    "api_rate_count": "count API requests in the shared rate-limit table (UpdateItem only)",
    "ticket_open": "CreateTicketV2 through this account's Security Hub connectors (tickets)",
}


@dataclass(frozen=True)
class FunctionSpec:
    """One deployed Lambda function."""

    key: str
    handler: str
    side: Role
    trigger: Trigger
    memory: int = 512
    timeout: int = 60
    #: ``console`` (API Gateway, Django) or ``workers`` (the packaging base of the others).
    package: Literal["console", "workers"] = "workers"
    schedule: str | None = None
    #: Table short name whose stream feeds this function (trigger ``stream``).
    stream_table: str | None = None
    #: TRIM_HORIZON: records written before the mapping existed (an install requested between
    #: bootstrap and deploy) are still processed; consumers are idempotent, so a replay is safe.
    starting_position: StartingPosition = "TRIM_HORIZON"
    #: The ``${...}`` placeholder this task function fills in the state machine definition.
    placeholder: str | None = None
    #: EventBridge event pattern (trigger ``rule``).
    event_pattern: dict[str, object] | None = None
    tables_read: tuple[str, ...] = ()
    tables_write: tuple[str, ...] = ()
    grants: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    description: str = ""
    #: True while the handler module does not exist yet (see the module docstring).
    planned: bool = False

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def services(self) -> tuple[str, ...]:
        """Who assumes the function's role: Lambda, and for the console API Gateway too (Zappa's
        REST API integration calls the function with the function's own role, `deploy.iam`)."""
        if self.trigger == "http":
            return ("lambda.amazonaws.com", "apigateway.amazonaws.com")
        return ("lambda.amazonaws.com",)

    def lambda_name(self, stage: str) -> str:
        """The Lambda function name; equals Zappa's slug of ``ouroboros-<stage>-<key>``."""
        return lambda_name(stage, self.key)

    def role_name(self, stage: str) -> str:
        """The IAM role bootstrap creates for this function (Zappa's ``role_name``)."""
        return f"{self.lambda_name(stage)}-role"[:64]


def lambda_name(stage: str, key: str) -> str:
    """``ouroboros-<stage>-<key>`` with underscores as hyphens (what Zappa's slugify yields)."""
    return f"{PROJECT}-{stage}-{key}".replace("_", "-").lower()


CONSUMER_TABLES = (
    "security_controls",
    "security_findings",
    "security_local_reactors",
    "sfn_statemachines",
    "security_aggregates",
)

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        key="console",
        handler="console.wsgi.application",
        side="consumer",
        trigger="http",
        package="console",
        memory=1024,
        timeout=30,
        tables_write=CONSUMER_TABLES,
        # The notifications page (ouroboros.notify.delivery.notification_list).
        tables_read=("security_notifications",),
        # Remediate now and Roll back read the finding from Security Hub and start the state
        # machine; the workflow runs the reactor (a rollback never runs inside a request).
        # Bulk actions set findings' workflow status (BatchUpdateFindings). Findings exports
        # are written to the export bucket and downloaded by pre-signed URL (exports_write).
        # The API's rate limits count in a table every instance shares (api_rate_count).
        grants=(
            "states_start",
            "hub_read",
            "secret_parameters",
            "securityhub_read",
            "securityhub_update",
            "exports_write",
            "api_rate_count",
        ),
        description="Ouroboros console (Django + DRF behind API Gateway)",
    ),
    FunctionSpec(
        key="collect_controls",
        handler="lambdas.collect_controls.handler",
        side="consumer",
        trigger="schedule",
        schedule="rate(1 hour)",
        memory=512,
        timeout=300,
        tables_write=("security_controls", "security_aggregates"),
        grants=("securityhub_read",),
        description="Collect enabled standards and controls from Security Hub",
    ),
    FunctionSpec(
        key="collect_findings",
        handler="lambdas.collect_findings.handler",
        side="consumer",
        trigger="schedule",
        schedule="rate(15 minutes)",
        memory=1024,
        timeout=900,
        tables_write=("security_findings", "security_aggregates", "security_controls"),
        grants=("securityhub_read",),
        description="Collect findings incrementally from the UpdatedAt watermark",
    ),
    FunctionSpec(
        key="finding_imported",
        handler="lambdas.finding_imported.handler",
        side="consumer",
        trigger="rule",
        event_pattern={
            "source": ["aws.securityhub"],
            "detail-type": ["Security Hub Findings - Imported", "Findings Imported V2"],
        },
        memory=512,
        timeout=60,
        tables_write=(
            "security_findings",
            "security_aggregates",
            "security_controls",
            "sfn_statemachines",
        ),
        description="Upsert the findings a 'Findings - Imported' (or 'Imported V2') event carries",
    ),
    FunctionSpec(
        key="finding_prefilter",
        handler="lambdas.finding_prefilter.handler",
        side="consumer",
        trigger="workflow_rule",
        memory=256,
        timeout=60,
        # Decides each finding as Parse does (controls, reactors, idempotency markers), starts the
        # state machine for those that need it, counts the others (security_aggregates) and
        # records refusals as skipped executions (`ouroboros.workflow.prefilter`).
        tables_read=("security_controls", "security_local_reactors"),
        tables_write=("sfn_statemachines", "security_aggregates"),
        grants=("states_start",),
        description="Pre-filter 'Findings - Imported' events: start the workflow only when needed",
    ),
    FunctionSpec(
        key="reactor_installer",
        handler="lambdas.reactor_installer.handler",
        side="consumer",
        trigger="stream",
        stream_table="security_local_reactors",
        memory=1024,
        timeout=300,
        tables_write=("security_local_reactors",),
        grants=("reactor_manage", "hub_read", "hub_artifacts_read"),
        description="Install / upgrade / uninstall reactors from the local reactors stream",
    ),
    FunctionSpec(
        key="parse_finding",
        handler="lambdas.parse_finding.handler",
        side="consumer",
        trigger="task",
        placeholder="ParseFindingFunctionArn",
        tables_read=("security_controls", "security_local_reactors", "security_findings"),
        # A skipped finding's execution is counted on the dashboard (security_aggregates).
        tables_write=("sfn_statemachines", "security_aggregates"),
        description="State machine: parse the findings of an event into dispatch items",
    ),
    FunctionSpec(
        key="dispatch_finding",
        handler="lambdas.dispatch_finding.handler",
        side="consumer",
        trigger="task",
        placeholder="DispatchFindingFunctionArn",
        timeout=900,
        tables_read=("security_local_reactors",),
        # A rollback exempts the resource on its control (security_controls) and takes the fix
        # out of MTTR (security_aggregates).
        tables_write=(
            "sfn_statemachines",
            "security_findings",
            "security_aggregates",
            "security_controls",
        ),
        grants=("reactor_invoke", "securityhub_update"),
        description="State machine: run the reactor of one finding and record the execution",
    ),
    FunctionSpec(
        key="dispatch_failure",
        handler="lambdas.dispatch_failure.handler",
        side="consumer",
        trigger="task",
        placeholder="DispatchFailureFunctionArn",
        memory=256,
        # The failed execution is counted on the dashboard and becomes the finding's last one.
        tables_write=("sfn_statemachines", "security_findings", "security_aggregates"),
        description="State machine: record a dispatch that failed",
    ),
    FunctionSpec(
        key="send_notification",
        handler="lambdas.send_notification.handler",
        side="consumer",
        trigger="task",
        placeholder="SendNotificationFunctionArn",
        memory=256,
        # Tickets (`ouroboros.tickets`): the execution's ticket record (a conditional update),
        # the finding's V2 metadata uid, CreateTicketV2, the ticket webhook's SSM parameter.
        tables_write=("sfn_statemachines",),
        tables_read=("security_findings",),
        grants=("sns_publish", "ticket_open", "secret_parameters"),
        description="State machine: open the outcome's ticket, publish the outcome messages",
    ),
    FunctionSpec(
        key="notify_subscriber",
        handler="lambdas.notify_subscriber.handler",
        side="consumer",
        trigger="subscriber",
        memory=256,
        timeout=120,
        # Each delivery is recorded for the console's notifications page.
        tables_write=("security_notifications",),
        grants=("secret_parameters",),
        description="Post notifications to WeChat Work / Slack / webhooks",
    ),
    FunctionSpec(
        key="hub_verify",
        handler="lambdas.hub_verify.handler",
        side="hub",
        trigger="stream",
        stream_table="security_reactors",
        memory=1024,
        timeout=300,
        tables_write=("security_reactors",),
        grants=("hub_artifacts_read", "verdict_sign", "import_probe_invoke"),
        description="Hub: verify published reactors from the security_reactors stream",
    ),
    FunctionSpec(
        key="hub_import_probe",
        handler="lambdas.hub_import_probe.handler",
        side="hub",
        trigger="invoke",
        memory=1024,
        timeout=150,
        description="Hub: import a published reactor alone, with no permissions (the verifier's "
        "confinement on AWS)",
    ),
)


def functions_for(side: Role, *, include_planned: bool = False) -> tuple[FunctionSpec, ...]:
    """The functions a deployment side runs (planned ones only when asked)."""
    return tuple(
        spec for spec in FUNCTIONS if spec.side == side and (include_planned or not spec.planned)
    )


def functions_all(*, include_planned: bool = False) -> tuple[FunctionSpec, ...]:
    """Every function of both sides (planned ones only when asked)."""
    return tuple(spec for spec in FUNCTIONS if include_planned or not spec.planned)


def function_get(key: str) -> FunctionSpec:
    """The function named ``key``; KeyError names the known keys."""
    for spec in FUNCTIONS:
        if spec.key == key:
            return spec
    raise KeyError(f"no function {key!r}; known: {', '.join(s.key for s in FUNCTIONS)}")
