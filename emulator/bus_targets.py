"""Where the local event bus delivers: Step Functions, SQS and Lambda targets, by ARN.

- ``arn:aws:states:<region>:<account>:stateMachine:<name>``: ``StartExecution`` with a name that
  is always given and always unique (the event id plus a random suffix: moto, like AWS, refuses a
  second execution of the same name, and unnamed ones collide in moto);
- ``arn:aws:sqs:<region>:<account>:<queue>``: ``SendMessage`` to that queue;
- ``arn:aws:lambda:<region>:<account>:function:<name>``: asynchronous ``Invoke`` (``Event``).

The payload is the whole event, or what the target's ``Input`` (constant JSON) or ``InputPath``
(``$`` or a dotted ``$.a.b`` path) selects, as EventBridge does. ``InputTransformer`` is not
supported and fails the delivery visibly. Clients come from `ouroboros.aws`, so the same code
reaches moto's server (the local runtime) or in-process moto (tests). Deliveries are made as
EventBridge's role (`emulator.caller.EVENTS`), whoever published the event.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from emulator.caller import EVENTS, running_as
from ouroboros.aws import client
from ouroboros.errors import OuroborosError

_RETRYABLE_CODES = {"ThrottlingException", "Throttling", "ServiceUnavailable", "InternalFailure"}


class UnsupportedTargetError(OuroborosError):
    """The local event bus cannot deliver to this target (kind or input option)."""

    status_code = 400


@dataclass(frozen=True)
class BusTarget:
    """A rule's target: an ARN and, optionally, EventBridge's input options."""

    arn: str
    target_id: str = ""
    input: str | None = None
    input_path: str | None = None
    input_transformer: dict[str, Any] | None = None
    #: The target as moto stores it (rules mirrored from moto's EventBridge), else None.
    raw: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def service(self) -> str:
        parts = self.arn.split(":")
        return parts[2] if len(parts) > 5 else ""


def execution_name(event_id: str) -> str:
    """A Step Functions execution name unique per delivery, derived from the event id."""
    stem = re.sub(r"[^A-Za-z0-9_-]", "-", event_id or "event")[:50]
    return f"{stem}-{uuid.uuid4().hex[:16]}"


def target_payload(target: BusTarget, event: dict[str, Any]) -> str:
    """The message a target receives for ``event``."""
    if target.input_transformer:
        raise UnsupportedTargetError("InputTransformer is not supported by the local event bus")
    if target.input is not None:
        return target.input
    if target.input_path:
        value: Any = event
        for key in target.input_path.removeprefix("$").strip(".").split("."):
            if key:
                value = value.get(key) if isinstance(value, dict) else None
        return json.dumps(value)
    return json.dumps(event)


def target_deliver(target: BusTarget, event: dict[str, Any]) -> str:
    """Deliver ``event`` to ``target``; returns what was created (execution ARN, message id)."""
    with running_as(EVENTS):
        return _deliver(target, event)


def _deliver(target: BusTarget, event: dict[str, Any]) -> str:
    payload = target_payload(target, event)
    parts = target.arn.split(":", 5)
    if len(parts) != 6:
        raise UnsupportedTargetError(f"not an ARN: {target.arn!r}")
    _, _, service, region, account, resource = parts
    if service == "states":
        sfn = client("stepfunctions", region=region)
        response = sfn.start_execution(
            stateMachineArn=target.arn, name=execution_name(str(event.get("id"))), input=payload
        )
        return str(response["executionArn"])
    if service == "sqs":
        sqs = client("sqs", region=region)
        url = sqs.get_queue_url(QueueName=resource, QueueOwnerAWSAccountId=account)["QueueUrl"]
        return str(sqs.send_message(QueueUrl=url, MessageBody=payload)["MessageId"])
    if service == "lambda":
        client("lambda", region=region).invoke(
            FunctionName=target.arn, InvocationType="Event", Payload=payload.encode()
        )
        return f"invoked {resource}"
    raise UnsupportedTargetError(f"the local event bus does not deliver to {service} targets")


def delivery_retryable(exc: Exception) -> bool:
    """Whether a failed delivery is worth another attempt (throttling, 5xx, connection)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in _RETRYABLE_CODES or int(status) >= 500
    return isinstance(exc, BotoCoreError)
