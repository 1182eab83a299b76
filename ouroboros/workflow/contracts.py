"""The JSON the state machine's tasks hand each other, as typed contracts.

``statemachine/security_hub_finding_reactor.asl.json`` passes:

- Parse -> Process Findings: `ParseOutput`, ``{"items": [DispatchItem, ...]}`` (``ItemsPath
  $.items``); each `DispatchItem` is the input of one Dispatch
  (`ouroboros.workflow.dispatch.finding_dispatch`);
- Dispatch -> Record Dispatch Failure (its Catch, ``ResultPath $.error``): `DispatchFailureInput`,
  the item plus the `TaskError` Step Functions caught;
- Dispatch / Record Dispatch Failure -> Send Notification: `TaskOutcome`
  (``$.result.messages``).

A rollback an operator asked for travels the same way: Parse emits one `RollbackItem` (a
`DispatchItem` plus ``rollback_of`` and ``execution_id``), and Dispatch runs the reactor's
rollback instead of its remediation.

These are TypedDicts because what crosses Step Functions is JSON: the producer builds exactly
these dicts, mypy checks every key a producer writes or a consumer reads (consumers index,
``item["key"]``: mypy does not check the key of a ``.get``), and the JSON on the wire is the dict
itself.

The types are what Parse writes, not a validation of what arrives. A consumer gets its input
from Step Functions, so `dispatch_item_of` / `dispatch_failure_of` refuse anything but an object
(with the error a malformed input has always had) and return the input's keys of the contract, a
missing one as None (what ``.get`` gave the consumers before); the consumers keep their
defensive reads (a fallback, ``bool``, ``str``) for values that are not what Parse writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict, cast

from ouroboros.errors import ValidationError
from ouroboros.workflow.decision import Trigger


class DispatchItem(TypedDict):
    """One finding to dispatch, as Parse emits it (only for a finding whose reactor will run).

    ``control_id``, ``mode`` and ``function_arn`` are always set on an item Parse emits (a
    finding without them is skipped instead); they are typed as the nullable model attributes
    they are copied from. ``sfn_execution_arn`` is None when Parse was not told its execution.
    """

    #: The finding as Security Hub sent it (raw ASFF, or the ASFF-shaped conversion of an OCSF
    #: finding: `ouroboros.securityhub.ocsf.ocsf_to_asff`); the reactor gets it unchanged.
    finding: dict[str, Any]
    control_id: str | None
    mode: str | None
    dry_run: bool
    reactor_id: str
    reactor_version: str
    function_arn: str | None
    #: The finding's ``UpdatedAt`` for an event; ``<trigger>#<request id>`` for a manual start.
    idempotency_key: str
    trigger: Trigger
    actor: str
    sfn_execution_arn: str | None
    #: The reactor's parameters for the control, its schema's defaults applied (what it runs
    #: with). Absent from items written before parameters existed: the reactor's defaults.
    params: NotRequired[dict[str, Any]]
    #: The correlation id of the finding's log lines (`ouroboros.observability.logging`).
    #: Absent from items written before it existed: Dispatch computes it.
    correlation_id: NotRequired[str]
    #: The V2 identity (`ouroboros.securityhub.ocsf.OcsfIdentity` as an object) of a finding
    #: that arrived as OCSF ("Findings Imported V2"), else None: ``finding`` is then its
    #: ASFF-shaped conversion, and the write-back goes through ``BatchUpdateFindingsV2``
    #: (`ouroboros.securityhub.writeback.ocsf_identity_of`). Absent from rollbacks and older items.
    ocsf: NotRequired[dict[str, Any] | None]
    #: The control's ticket behaviour (`ouroboros.models.controls.TICKET_MODES`) when Parse read
    #: it: the outcome's message asks Send Notification for a ticket (`ouroboros.tickets`).
    #: Absent from rollbacks and older items: ``off``.
    ticket: NotRequired[str]


class RollbackItem(DispatchItem):
    """A rollback to run (trigger ``rollback``): the item plus the execution it rolls back and the
    rollback's own execution, recorded ``pending`` when the operator asked
    (`ouroboros.workflow.rollback`). Dispatch tells it from a remediation by ``rollback_of``."""

    rollback_of: str
    execution_id: str


class ParseOutput(TypedDict):
    """The output of the Parse task."""

    items: list[DispatchItem]


class TaskError(TypedDict):
    """What a Catch with ``ResultPath $.error`` adds: the error's name and its cause (for a
    Lambda task, the JSON of ``errorMessage`` / ``errorType``)."""

    Error: str
    Cause: NotRequired[str]


class DispatchFailureInput(DispatchItem):
    """The input of Record Dispatch Failure: the item the Dispatch failed on, and its error."""

    error: TaskError


class OutcomeResult(TypedDict):
    """The notification messages of one item (`ouroboros.notify.outcomes.outcome_message`)."""

    messages: list[dict[str, Any]]
    status: Literal["succeeded", "failed", "duplicate"]


class TaskOutcome(TypedDict):
    """The output of Dispatch and of Record Dispatch Failure (Send Notification's input)."""

    result: OutcomeResult


def _keys_of(value: Mapping[str, Any], contract: type) -> dict[str, Any]:
    """The keys of ``contract`` in ``value`` (None when absent); other keys are dropped."""
    return {key: value.get(key) for key in contract.__annotations__}


def dispatch_item_of(value: object) -> DispatchItem:
    """The Dispatch input as a `DispatchItem` (see the module docstring); `ValidationError` when
    it is not an object."""
    if not isinstance(value, Mapping):
        raise ValidationError("dispatch item: expected an object")
    return cast(DispatchItem, _keys_of(value, DispatchItem))


def rollback_item_of(value: Mapping[str, Any]) -> RollbackItem | None:
    """The Dispatch input as a `RollbackItem` when it names the execution it rolls back."""
    if not value.get("rollback_of"):
        return None
    return cast(RollbackItem, _keys_of(value, RollbackItem))


def dispatch_failure_of(value: object) -> DispatchFailureInput:
    """The Record Dispatch Failure input as a `DispatchFailureInput` (see the module
    docstring); `ValidationError` when it is not an object."""
    if not isinstance(value, Mapping):
        raise ValidationError("dispatch failure: expected the Catch input (an object)")
    return cast(DispatchFailureInput, _keys_of(value, DispatchFailureInput))
