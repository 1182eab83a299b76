"""Runtime extension: the remediation workflow, run by moto from the real definition.

At start:

1. switches moto's Step Functions to real execution (``execute_state_machine``: moto's ASL
   interpreter runs the definition; its Lambda tasks are ``lambda.Invoke`` calls, which the
   local Lambda hook answers in-process);
2. registers the task functions, the pre-filter and the notification subscriber with the Lambda
   hook, by their deployed names (``ouroboros-<stage>-parse-finding``...), from `deploy.functions`;
3. creates (or updates) the state machine from ``statemachine/`` with the same ARNs the deploy
   substitutes, and registers the rules of ``rules.json`` on the local bus with the targets the
   deploy gives them: "Findings - Imported" to the pre-filter function (registered with the
   Lambda hook like the tasks: `ouroboros.workflow.prefilter`) and the custom action to the
   state machine (`emulator.securityhub_custom_action` sends its events);
4. creates the notification topic with an SQS queue subscribed to it, and polls that queue in a
   thread, handing each message to the subscriber function as SNS would (moto's SNS cannot invoke
   a Lambda function without Docker);
5. installs `emulator.moto_sfn` (moto's interpreter reuses its Lambda client and the
   definition's parse tree instead of paying for them at every execution).

The queue poller stands for SNS's delivery, so it runs as the emulator (`emulator.caller`); the
subscriber function runs as itself, through the Lambda hook.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from moto.core.config import default_user_config

from deploy.functions import FUNCTIONS
from deploy.naming import Deployment
from deploy.workflow import definition_render, rule_target_arn, rules_render
from emulator.bus import DEFAULT_ACCOUNT, bus_rule_put
from emulator.caller import EMULATOR, running_as
from emulator.lambda_invoke import project_function_register
from emulator.moto_sfn import moto_sfn_speedups_install
from emulator.securityhub_custom_action import local_custom_action_arn
from ouroboros.aws import client
from ouroboros.config import get_config

if TYPE_CHECKING:
    from emulator.runtime import LocalRuntime

logger = logging.getLogger(__name__)

SUBSCRIBER_KEY = "notify_subscriber"


def local_deployment() -> Deployment:
    config = get_config()
    return Deployment(
        stage=config.stage, region=config.region, account=DEFAULT_ACCOUNT, side="consumer"
    )


def workflow_register() -> str:
    """Register the functions, the state machine and the bus rule; the state machine ARN."""
    deployment = local_deployment()
    tasks = [s for s in FUNCTIONS if s.trigger in ("task", "subscriber", "workflow_rule")]
    for spec in tasks:
        project_function_register(spec.lambda_name(deployment.stage), spec.handler)
    definition = definition_render([s for s in tasks if s.placeholder], deployment)
    sfn = client("stepfunctions")
    arn = deployment.state_machine_arn
    try:
        sfn.describe_state_machine(stateMachineArn=arn)
        sfn.update_state_machine(stateMachineArn=arn, definition=definition)
    except sfn.exceptions.StateMachineDoesNotExist:
        sfn.create_state_machine(
            name=deployment.state_machine_name,
            definition=definition,
            roleArn=deployment.role_arn(deployment.state_machine_role),
            type="STANDARD",
        )
    for rule in rules_render(local_custom_action_arn()).values():
        target = rule_target_arn(rule, deployment)
        bus_rule_put(name=rule["Name"], pattern=rule["EventPattern"], targets=[target])
    return arn


class WorkflowExtension:
    """The runtime extension (see the module docstring)."""

    name = "workflow"

    def __init__(self) -> None:
        self._saved: bool | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.state_machine_arn = ""
        self._moto_undo: Callable[[], None] | None = None

    def start(self, runtime: LocalRuntime) -> None:
        sfn_config: Any = default_user_config.setdefault("stepfunctions", {})
        self._saved = bool(sfn_config.get("execute_state_machine", False))
        sfn_config["execute_state_machine"] = True
        self._moto_undo = moto_sfn_speedups_install()
        self.state_machine_arn = workflow_register()
        queue_url = self._subscription()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._poll, args=(queue_url,), name="notification-subscriber", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._moto_undo is not None:
            self._moto_undo()
            self._moto_undo = None
        if self._saved is not None:
            default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = (
                self._saved
            )
            self._saved = None

    def _subscription(self) -> str:
        config = get_config()
        sns, sqs = client("sns"), client("sqs")
        topic = sns.create_topic(Name=config.notification_topic_name)["TopicArn"]
        queue_url = sqs.create_queue(QueueName=f"{config.notification_topic_name}-local")[
            "QueueUrl"
        ]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        subscribed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if not any(s["Endpoint"] == queue_arn for s in subscribed):
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        return str(queue_url)

    def _poll(self, queue_url: str) -> None:
        with running_as(EMULATOR):
            self._deliver_notifications(queue_url)

    def _deliver_notifications(self, queue_url: str) -> None:
        sqs, lam = client("sqs"), client("lambda")
        function = local_deployment().function_arn(
            next(s for s in FUNCTIONS if s.key == SUBSCRIBER_KEY)
        )
        while not self._stop.is_set():
            try:
                messages = sqs.receive_message(
                    QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
                ).get("Messages", [])
            except Exception:
                if self._stop.wait(1):
                    return
                continue
            for message in messages:
                envelope = json.loads(message["Body"])
                event = {"Records": [{"EventSource": "aws:sns", "Sns": envelope}]}
                with contextlib.suppress(Exception):
                    lam.invoke(FunctionName=function, Payload=json.dumps(event).encode())
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
