"""People's writes to controls: reactor, mode, parameters and exemptions, under an optimistic lock.

One service writes what people configure on a control, always conditional on the ``version`` the
person's form (or list) was read at, so of two concurrent edits the second fails with what is
stored now, and nothing of either is lost:

- `control_configure`: reactor, mode, parameters and exemptions of one control at
  ``expected_version`` (`control_exemption_add` / `control_exemption_remove` are built on it);
- `control_assign_reactor`: reactor, mode and parameters of one control at ``expected_version``,
  exemptions kept (the console's configure form);
- `control_update`: the partial form of `control_configure` (what the API's ``PATCH`` sends): it
  changes only the fields it is given and returns the control before and after;
- `control_assign_reactor_many`: reactor and mode of up to 1,000 controls, each at the version
  it was read at, in DynamoDB transactions of up to 100 (the admin's bulk assignment, the demo):
  a chunk of 100 changes together or not at all; beyond 100, each chunk is atomic on its own.

The ticket behaviour (``ticket``, `ouroboros.models.controls.TICKET_MODES`) is set by
`control_configure` / `control_update` only, checked by `ticket_check` (``off`` always; any other
needs a mode that runs the reactor, ``manual`` needs mode ``manual``), versioned and audited with
the rest; a write that does not name it keeps it.

Every path validates the same way before writing anything (`reactor_check`: a known mode, an
installed reactor, a reactor for every mode but ``off``, a reactor that declares every control it
is assigned to; then the parameters against that reactor's schema,
`ouroboros.controls.params.control_params_validate`). Parameters belong to one reactor: a write
that changes a control's reactor without giving parameters clears them (the new reactor's
defaults apply). Parameters are versioned with the rest (the same conditional write bumps
``version``). Catalog writes (the collectors) live in `ouroboros.controls.services` and never
touch these fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ouroboros.controls.exemptions import MAX_EXEMPTIONS, ExemptionInput, exemption_build
from ouroboros.controls.params import (
    control_params,
    control_params_validate,
    reactor_control_ids,
    reactor_undeclared,
)
from ouroboros.errors import ConflictError, NotFoundError, ValidationError
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL, MODES, TICKET_MODES, Exemption

TRANSACTION_SIZE = 100
MAX_CONTROLS = 1000


class ControlConflictError(ConflictError):
    """The control changed since the form was read; ``current`` is what is stored now."""

    def __init__(self, message: str, *, current: ControlModel | None = None) -> None:
        super().__init__(message)
        self.current = current


@dataclass(frozen=True)
class AssignmentResult:
    """What `control_assign_reactor_many` wrote."""

    reactor_id: str
    mode: str
    control_ids: list[str]


def _control_current(control_id: str) -> ControlModel:
    try:
        return ControlModel.get(control_id, KIND_CONTROL, consistent_read=True)
    except ControlModel.DoesNotExist:
        raise NotFoundError(f"Control {control_id} does not exist") from None


def _conflict(control_id: str, expected_version: int) -> ControlConflictError:
    current = _control_current(control_id)
    who = current.updated_by or "someone"
    when = f" at {current.updated_at:%Y-%m-%d %H:%M:%S} UTC" if current.updated_at else ""
    return ControlConflictError(
        f"Control {control_id} was changed by {who}{when} after you opened it (it is now at "
        f"version {current.version or 0}, your form had version {expected_version}). Nothing "
        "was saved: review the current configuration and apply your change again.",
        current=current,
    )


def reactor_check(
    reactor_id: str | None, mode: str, control_ids: Sequence[str] = ()
) -> LocalReactorModel | None:
    """The installed reactor ``reactor_id`` (None for none); `ValidationError` unless ``mode``
    is known and the reactor may serve it and every control of ``control_ids`` (it declares them).
    """
    if mode not in MODES:
        raise ValidationError(f"Mode must be one of {', '.join(MODES)} (got {mode!r})")
    if mode != "off" and not reactor_id:
        raise ValidationError(f"Mode {mode} needs a reactor: select an installed reactor first")
    if not reactor_id:
        return None
    try:
        reactor = LocalReactorModel.get(reactor_id, consistent_read=True)
    except LocalReactorModel.DoesNotExist:
        raise ValidationError(f"Reactor {reactor_id} is not installed in this account") from None
    if reactor.status != "installed":
        raise ValidationError(
            f"Reactor {reactor_id} is not ready (status {reactor.status}); "
            "wait for its installation to finish"
        )
    undeclared = reactor_undeclared(reactor, control_ids)
    if undeclared:
        declared = ", ".join(reactor_control_ids(reactor) or []) or "no control"
        raise ValidationError(
            f"Reactor {reactor_id} declares {declared} only; it cannot be assigned to "
            f"{', '.join(undeclared)}"
        )
    return reactor


def ticket_check(ticket: str, mode: str) -> None:
    """`ValidationError` unless ``ticket`` is a known ticket behaviour that ``mode`` allows."""
    if ticket not in TICKET_MODES:
        raise ValidationError(f"Ticket must be one of {', '.join(TICKET_MODES)} (got {ticket!r})")
    if ticket != "off" and mode == "off":
        raise ValidationError(f"Ticket {ticket} needs a mode other than off (it runs the reactor)")
    if ticket == "manual" and mode != "manual":
        raise ValidationError("Ticket manual is for a control in manual mode")


def _assignment_actions(
    reactor_id: str | None,
    mode: str,
    actor: str,
    now: datetime,
    params: Mapping[str, Any] | None = None,
) -> list[Action]:
    # A fresh list per write: PynamoDB appends the version increment to the list it is given.
    return [
        ControlModel.mode.set(mode),
        ControlModel.updated_by.set(actor),
        ControlModel.updated_at.set(now),
        ControlModel.reactor_id.set(reactor_id) if reactor_id else ControlModel.reactor_id.remove(),
        ControlModel.params.set(dict(params)) if params else ControlModel.params.remove(),
    ]


def _update(control_id: str, expected_version: int, actions: list[Action]) -> ControlModel:
    """One conditional update at ``expected_version`` (PynamoDB checks and bumps ``version``)."""
    control = ControlModel(control_id, KIND_CONTROL)
    if expected_version:
        control.version = expected_version
    exists = ControlModel.control_id.exists() & (ControlModel.kind == KIND_CONTROL)
    try:
        control.update(actions=actions, condition=exists)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise _conflict(control_id, expected_version) from None
    return control


def control_configure(
    *,
    control_id: str,
    expected_version: int,
    reactor_id: str | None,
    mode: str,
    exemptions: Sequence[Exemption | ExemptionInput],
    actor: str,
    params: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    ticket: str | None = None,
) -> ControlModel:
    """Set the reactor, mode, parameters and exemptions of a control, if nobody changed it since
    version ``expected_version`` (0: never configured).

    Stored `Exemption` entries are kept as they are; `ExemptionInput` entries are validated and
    added. Raises `ValidationError` (nothing written) for a bad mode, a reactor that is not
    installed or does not declare the control, parameters its schema refuses
    (`ouroboros.controls.params.ControlParamsError`, naming each parameter) or a bad exemption;
    `NotFoundError` for an unknown control; `ControlConflictError` (a `ConflictError`) when the
    version moved on. ``ticket`` None keeps the stored ticket behaviour.
    """
    now = now or datetime.now(UTC)
    reactor_id = (reactor_id or "").strip() or None
    values = control_params_validate(
        reactor=reactor_check(reactor_id, mode, [control_id]), params=params
    )
    if ticket is not None:
        ticket_check(ticket, mode)
    entries = [
        e if isinstance(e, Exemption) else exemption_build(e, actor=actor, now=now)
        for e in exemptions
    ]
    if len(entries) > MAX_EXEMPTIONS:
        raise ValidationError(f"A control holds at most {MAX_EXEMPTIONS} exemptions")
    actions = _assignment_actions(reactor_id, mode, actor, now, values)
    actions.append(
        ControlModel.exemptions.set(entries) if entries else ControlModel.exemptions.remove()
    )
    if ticket is not None:
        actions.append(ControlModel.ticket.set(ticket))
    return _update(control_id, expected_version, actions)


def _stored(control_id: str, expected_version: int) -> ControlModel:
    current = _control_current(control_id)
    if (current.version or 0) != expected_version:
        raise _conflict(control_id, expected_version)
    return current


def control_exemption_add(
    *, control_id: str, expected_version: int, exemption: ExemptionInput, actor: str
) -> ControlModel:
    """Add one exemption to a control at ``expected_version`` (see `control_configure`)."""
    current = _stored(control_id, expected_version)
    return control_configure(
        control_id=control_id,
        expected_version=expected_version,
        reactor_id=current.reactor_id,
        mode=current.mode or "off",
        exemptions=[*(current.exemptions or []), exemption],
        actor=actor,
        params=control_params(current),
    )


def control_exemption_remove(
    *, control_id: str, expected_version: int, exemption_id: str, actor: str
) -> ControlModel:
    """Remove the exemption ``exemption_id`` from a control at ``expected_version``."""
    current = _stored(control_id, expected_version)
    kept = [e for e in current.exemptions or [] if e.exemption_id != exemption_id]
    if len(kept) == len(current.exemptions or []):
        raise NotFoundError(f"Control {control_id} has no exemption {exemption_id}")
    return control_configure(
        control_id=control_id,
        expected_version=expected_version,
        reactor_id=current.reactor_id,
        mode=current.mode or "off",
        exemptions=kept,
        actor=actor,
        params=control_params(current),
    )


def control_assign_reactor(
    *,
    control_id: str,
    expected_version: int,
    reactor_id: str | None,
    mode: str,
    actor: str,
    params: Mapping[str, Any] | None = None,
    ticket: str | None = None,
) -> ControlModel:
    """Set the reactor, mode, parameters and (unless None: kept) ticket behaviour of a control
    at ``expected_version``; keep its exemptions.

    ``reactor_id`` None with mode ``off`` unassigns (parameters must then be empty; a ticket
    behaviour other than ``off`` is then refused). Errors as `control_configure`.
    """
    reactor_id = (reactor_id or "").strip() or None
    values = control_params_validate(
        reactor=reactor_check(reactor_id, mode, [control_id]), params=params
    )
    if ticket is not None:
        ticket_check(ticket, mode)
    actions = _assignment_actions(reactor_id, mode, actor, datetime.now(UTC), values)
    if ticket is not None:
        actions.append(ControlModel.ticket.set(ticket))
    return _update(control_id, expected_version, actions)


class Keep(Enum):
    """`control_update`: leave this field as it is stored."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class ControlChange:
    """A control as it was before a change and as the change left it."""

    before: ControlModel
    after: ControlModel


def control_update(
    *,
    control_id: str,
    expected_version: int,
    actor: str,
    reactor_id: str | Keep | None = KEEP,
    mode: str | Keep = KEEP,
    exemptions: Sequence[str | ExemptionInput] | Keep = KEEP,
    params: Mapping[str, Any] | Keep = KEEP,
    ticket: str | Keep = KEEP,
) -> ControlChange:
    """Change some of the reactor, mode, parameters and exemptions of a control at
    ``expected_version``.

    Fields left at `KEEP` stay as stored (a stored ticket behaviour must still suit the mode);
    ``reactor_id=None`` unassigns the reactor. ``params`` left at `KEEP` while the reactor
    changes are cleared (they were the previous reactor's).
    ``exemptions`` is the whole new list: a string keeps the stored exemption of that id, an
    `ExemptionInput` adds a new one, and stored exemptions not named are removed. Raises like
    `control_configure`, and `ValidationError` for an exemption id the control does not hold.
    """
    current = _stored(control_id, expected_version)
    new_mode = (current.mode or "off") if isinstance(mode, Keep) else mode
    if isinstance(ticket, Keep) and (current.ticket or "off") != "off":
        ticket_check(current.ticket or "off", new_mode)  # a mode change must still allow it
    stored = {e.exemption_id: e for e in current.exemptions or []}
    entries: list[Exemption | ExemptionInput] = list(stored.values())
    if not isinstance(exemptions, Keep):
        unknown = [e for e in exemptions if isinstance(e, str) and e not in stored]
        if unknown:
            raise ValidationError(f"Control {control_id} has no exemption {', '.join(unknown)}")
        entries = [stored[e] if isinstance(e, str) else e for e in exemptions]
    new_reactor = current.reactor_id if isinstance(reactor_id, Keep) else reactor_id
    if isinstance(params, Keep):
        same = (new_reactor or "").strip() == (current.reactor_id or "")
        params = control_params(current) if same else {}
    after = control_configure(
        control_id=control_id,
        expected_version=expected_version,
        reactor_id=new_reactor,
        mode=new_mode,
        exemptions=entries,
        actor=actor,
        params=params,
        ticket=None if isinstance(ticket, Keep) else ticket,
    )
    return ControlChange(before=current, after=after)


def _controls(control_ids: Sequence[str]) -> list[ControlModel]:
    found = {
        c.control_id: c
        for c in ControlModel.batch_get(
            [(cid, KIND_CONTROL) for cid in control_ids], consistent_read=True
        )
    }
    missing = [cid for cid in control_ids if cid not in found]
    if missing:
        raise ValidationError(f"unknown controls: {', '.join(missing[:10])}")
    return [found[cid] for cid in control_ids]


def control_assign_reactor_many(
    *,
    control_ids: Iterable[str],
    reactor_id: str | None,
    mode: str,
    actor: str,
    params: Mapping[str, Any] | None = None,
) -> AssignmentResult:
    """Assign ``reactor_id`` with ``mode`` to every control of ``control_ids``, each at the
    version read here (see the module docstring); `ValidationError` before any write for bad
    input (a control the reactor does not declare: all of them are named), `ConflictError` when
    a control changed between the read and the write.

    ``params`` given are set on every control; None keeps each control's parameters where its
    reactor stays the same and clears them where it changes."""
    ids = list(dict.fromkeys(c.strip() for c in control_ids if c and c.strip()))
    if not ids:
        raise ValidationError("select at least one control")
    if len(ids) > MAX_CONTROLS:
        raise ValidationError(f"at most {MAX_CONTROLS} controls per request")
    reactor_id = (reactor_id or "").strip() or None
    reactor = reactor_check(reactor_id, mode, ids)
    given = None if params is None else control_params_validate(reactor=reactor, params=params)
    controls = _controls(ids)
    now = datetime.now(UTC)
    for start in range(0, len(controls), TRANSACTION_SIZE):
        try:
            with TransactWrite(connection=ControlModel._get_connection().connection) as tx:
                for control in controls[start : start + TRANSACTION_SIZE]:
                    kept = control_params(control) if control.reactor_id == reactor_id else {}
                    tx.update(
                        control,
                        actions=_assignment_actions(
                            reactor_id, mode, actor, now, kept if given is None else given
                        ),
                        condition=ControlModel.kind == KIND_CONTROL,
                    )
        except TransactWriteError as exc:
            done = f"; the first {start} were assigned" if start else ""
            raise ConflictError(
                f"controls changed meanwhile, none of this batch was assigned{done}: "
                f"{exc.cause_response_message}"
            ) from exc
    return AssignmentResult(reactor_id=reactor_id or "", mode=mode, control_ids=ids)
