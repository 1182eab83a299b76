"""Open one ticket per finding version, through Security Hub's connector or a JSON webhook.

A control's ticket behaviour (``ControlModel.ticket``, `ouroboros.models.controls.TICKET_MODES`)
says when a run's outcome becomes a ticket (`ticket_wanted`); Parse copies it onto the dispatch
item, Dispatch / Record Dispatch Failure put a `TicketRequest` on the outcome's notification
message (``message["ticket"]``, `ticket_request`), and Send Notification opens it
(`tickets_open`) before publishing.

Channels (`ticket_open` picks one):

- ``securityhub``: ``CreateTicketV2`` with the configured connector
  (``OUROBOROS_TICKET_CONNECTOR_ID``) when the finding carries a V2 ``metadata.uid`` (from the
  event's OCSF identity, else the stored finding item);
- ``webhook``: a generic JSON POST (`ticket_payload`: the finding, the dry-run diff, the error,
  links to the execution and, after a fix, to its rollback) to ``OUROBOROS_TICKET_WEBHOOK_URL``
  (or the SSM parameter ``..._PARAMETER`` names), under the chat webhooks' URL policy
  (`ouroboros.notify.webhooks`: https to public hosts; loopback only in the local runtime).

One ticket per finding version: the ``ClientToken`` is a hash of the finding id and its version
(the workflow's idempotency key), and the execution item is claimed first with a conditional
write (``ticket_channel`` must not exist): a replay finds it claimed and opens nothing. A
channel error releases the claim (so a retry may open it) and raises `TicketError`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, cast
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from ouroboros.aws import client
from ouroboros.aws.parameters import ParameterError, parameter_get
from ouroboros.config import get_config
from ouroboros.errors import OuroborosError
from ouroboros.executions.links import execution_link
from ouroboros.executions.selectors import execution_get
from ouroboros.models import ExecutionModel
from ouroboros.models.findings import FindingModel
from ouroboros.notify.webhooks import WebhookRefused, webhook_opener, webhook_url_check

logger = logging.getLogger(__name__)

CHANNELS = ("securityhub", "webhook")
#: The longest text a ticket carries of an error or a title.
TEXT_MAX = 2000
#: At most this many changes of the diff go into a webhook ticket (the rest are counted).
CHANGES_MAX = 50


class TicketError(OuroborosError):
    """A ticket could not be opened (no channel configured, the channel refused or failed)."""


class TicketRequest(TypedDict, total=False):
    """What a notification message carries to have a ticket opened (``message["ticket"]``)."""

    reason: str
    #: The finding's version as the workflow keys it (the dispatch item's idempotency key).
    version: str
    title: str
    severity: str
    #: The finding's V2 ``metadata.uid`` when the event carried one.
    metadata_uid: str | None


@dataclass(frozen=True)
class Ticket:
    """A ticket recorded on an execution; ``opened`` False when it was there already."""

    execution_id: str
    channel: str
    ticket_id: str | None
    url: str | None
    opened: bool


def ticket_wanted(behaviour: str | None, *, dry_run: bool, status: str) -> str | None:
    """The reason to open a ticket for a run's outcome under the control's ticket
    ``behaviour``, or None: ``instead`` and ``manual`` after their dry run (whatever its
    outcome: a failed dry run's ticket names the error), ``after_dry_run`` after a dry run that
    succeeded, ``after_failure`` after a run that failed."""
    if behaviour in ("instead", "manual") and dry_run:
        return behaviour
    if behaviour == "after_dry_run" and dry_run and status == "succeeded":
        return behaviour
    if behaviour == "after_failure" and status == "failed":
        return behaviour
    return None


def ticket_request(
    *,
    behaviour: str | None,
    dry_run: bool,
    status: str,
    version: str,
    title: str | None = None,
    severity: str | None = None,
    metadata_uid: str | None = None,
) -> TicketRequest | None:
    """The `TicketRequest` a notification message carries for this outcome, or None."""
    reason = ticket_wanted(behaviour, dry_run=dry_run, status=status)
    if reason is None:
        return None
    return {
        "reason": reason,
        "version": version,
        "title": (title or "")[:TEXT_MAX],
        "severity": severity or "",
        "metadata_uid": metadata_uid,
    }


def ticket_client_token(*, finding_id: str, version: str) -> str:
    """``CreateTicketV2``'s ``ClientToken``: one per finding version (63 printable characters
    at most, as the API requires)."""
    return hashlib.sha256(f"{finding_id}\n{version}".encode()).hexdigest()[:63]


def ticket_payload(execution: ExecutionModel, request: TicketRequest) -> dict[str, Any]:
    """The webhook channel's JSON: what a Jira or ServiceNow inbound integration takes."""
    changes = list(execution.changes or [])
    fixed = execution.status == "succeeded" and not execution.dry_run
    payload: dict[str, Any] = {
        "source": "ouroboros",
        "reason": request.get("reason"),
        "client_token": ticket_client_token(
            finding_id=execution.finding_id or "", version=request.get("version") or ""
        ),
        "finding": {
            "id": execution.finding_id,
            "title": request.get("title") or None,
            "severity": request.get("severity") or None,
            "control_id": execution.control_id,
            "account_id": execution.account_id,
            "region": execution.region,
            "resource_id": execution.resource_id,
        },
        "execution": {
            "id": execution.execution_id,
            "status": execution.status,
            "dry_run": bool(execution.dry_run),
            "reactor": f"{execution.reactor_id} {execution.reactor_version or ''}".strip(),
            "error": (execution.error or "")[:TEXT_MAX] or None,
        },
        "diff": [_plain(c) for c in changes[:CHANGES_MAX]],
        "diff_total": len(changes),
        "links": {"execution": execution_link(execution.execution_id)},
    }
    if fixed and execution.rollback:
        payload["links"]["rollback"] = execution_link(execution.execution_id, "rollback/")
    return payload


def _plain(value: Any) -> Any:
    return value.as_dict() if hasattr(value, "as_dict") else value


def _metadata_uid(execution: ExecutionModel, request: TicketRequest) -> str | None:
    if request.get("metadata_uid"):
        return str(request["metadata_uid"])
    if not execution.finding_id:
        return None
    try:
        return FindingModel.get(execution.finding_id).metadata_uid
    except FindingModel.DoesNotExist:
        return None


def _channel(metadata_uid: str | None) -> str:
    config = get_config()
    if config.ticket_connector_id and metadata_uid:
        return "securityhub"
    if config.ticket_webhook:
        return "webhook"
    raise TicketError(
        "no ticket channel: set OUROBOROS_TICKET_WEBHOOK_URL(_PARAMETER), or "
        "OUROBOROS_TICKET_CONNECTOR_ID for findings of the new Security Hub"
    )


def _claim(execution_id: str, channel: str, reason: str) -> bool:
    """Claim the execution's ticket; False when it holds one (or a claim) already."""
    item = ExecutionModel(execution_id)
    try:
        item.update(
            actions=[
                ExecutionModel.ticket_channel.set(channel),
                ExecutionModel.ticket_reason.set(reason),
            ],
            condition=ExecutionModel.execution_id.exists()
            & ExecutionModel.ticket_channel.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _release(execution_id: str) -> None:
    ExecutionModel(execution_id).update(
        actions=[ExecutionModel.ticket_channel.remove(), ExecutionModel.ticket_reason.remove()],
        condition=ExecutionModel.ticket_id.does_not_exist(),
    )


def _securityhub_open(*, metadata_uid: str, token: str) -> tuple[str, str | None]:
    try:
        response = client("securityhub").create_ticket_v2(
            ConnectorId=get_config().ticket_connector_id,
            FindingMetadataUid=metadata_uid,
            ClientToken=token,
        )
    except (ClientError, BotoCoreError) as exc:
        raise TicketError(f"CreateTicketV2 failed: {exc}") from exc
    return str(response["TicketId"]), _link(response.get("TicketSrcUrl"))


def _webhook_open(payload: Mapping[str, Any]) -> tuple[str, str | None]:
    value = get_config().ticket_webhook
    try:
        url = parameter_get(value.removeprefix("ssm:")) if value.startswith("ssm:") else value
        local = get_config().local_runtime
        webhook_url_check(url, local=local)
        request = urllib.request.Request(  # noqa: S310 - the URL is operator configuration
            url,
            data=json.dumps(payload, default=str).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with webhook_opener(local=local).open(request, timeout=10) as response:
            body = response.read(65536)
    except ParameterError as exc:
        raise TicketError(f"ticket webhook: {exc}") from exc
    except WebhookRefused as exc:
        raise TicketError(f"ticket webhook refused: {exc.reason}") from exc
    except OSError as exc:  # URLError, HTTPError, timeouts: never the URL (a secret)
        raise TicketError(f"ticket webhook failed: {type(exc).__name__}") from exc
    return _webhook_ticket(body, fallback=str(payload["client_token"]))


def _webhook_ticket(body: bytes, *, fallback: str) -> tuple[str, str | None]:
    """The ticket id and link a webhook answered (``id``/``key``/``ticket_id``, ``url``), or the
    client token when it answered none."""
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        answer = {}
    if not isinstance(answer, Mapping):
        answer = {}
    ticket_id = answer.get("ticket_id") or answer.get("key") or answer.get("id") or fallback
    return str(ticket_id)[:256], _link(answer.get("url") or answer.get("ticket_url"))


def _link(value: Any) -> str | None:
    """A ticket link the console may render: an http(s) URL, else none."""
    text = str(value or "")[:2048]
    return text if urlsplit(text).scheme in ("https", "http") else None


def ticket_open(*, execution_id: str, request: TicketRequest) -> Ticket:
    """Open the ticket ``request`` asks for about the execution ``execution_id``, once (see the
    module docstring); `TicketError` when no channel is configured or the channel failed,
    `ouroboros.errors.NotFoundError` for an unknown execution."""
    execution = execution_get(execution_id=execution_id)
    if execution.ticket_id:
        return _recorded(execution)
    metadata_uid = _metadata_uid(execution, request)
    channel = _channel(metadata_uid)
    reason = str(request.get("reason") or "")
    if not _claim(execution_id, channel, reason):
        current = execution_get(execution_id=execution_id)
        if current.ticket_id or current.ticket_channel != "securityhub" or not metadata_uid:
            return _recorded(current)
        # A claim without a ticket: CreateTicketV2 again (its ClientToken makes it idempotent).
    token = ticket_client_token(
        finding_id=execution.finding_id or "", version=str(request.get("version") or "")
    )
    try:
        if channel == "securityhub":
            assert metadata_uid is not None
            ticket_id, url = _securityhub_open(metadata_uid=metadata_uid, token=token)
        else:
            ticket_id, url = _webhook_open(ticket_payload(execution, request))
    except TicketError:
        _release(execution_id)
        raise
    actions: list[Action] = [ExecutionModel.ticket_id.set(ticket_id)]
    if url:
        actions.append(ExecutionModel.ticket_url.set(url))
    ExecutionModel(execution_id).update(actions=actions)
    logger.info("execution %s: ticket %s opened (%s, %s)", execution_id, ticket_id, channel, reason)
    return Ticket(execution_id, channel, ticket_id, url, opened=True)


def _recorded(execution: ExecutionModel) -> Ticket:
    return Ticket(
        execution.execution_id,
        execution.ticket_channel or "",
        execution.ticket_id,
        execution.ticket_url,
        opened=False,
    )


def tickets_open(*, messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Open the ticket each notification message asks for (``ticket``); each such message gets
    ``ticket_id`` / ``ticket_url`` / ``ticket_channel``, or ``ticket_error`` when it could not
    be opened (logged; the notification still goes out). Returns the messages."""
    for message in messages:
        request = message.get("ticket")
        if not isinstance(request, Mapping) or not message.get("execution_id"):
            continue
        try:
            asked = cast(TicketRequest, dict(request))
            ticket = ticket_open(execution_id=str(message["execution_id"]), request=asked)
        except (TicketError, OuroborosError, TypeError) as exc:
            logger.warning("execution %s: no ticket: %s", message["execution_id"], exc)
            message["ticket_error"] = str(exc)[:TEXT_MAX]
            continue
        message.update(
            ticket_id=ticket.ticket_id, ticket_url=ticket.url, ticket_channel=ticket.channel
        )
    return list(messages)
