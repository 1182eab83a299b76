"""People's writes to controls: reactor, mode and exemptions, under an optimistic lock.

`control_configure` (and `control_exemption_add` / `control_exemption_remove`, built on it) writes
the user fields only if the item is still at the version the person's form was read at (optimistic
lock on ``version``), so of two concurrent edits the second gets `ControlConflictError` with what is
stored now, and nothing of either is lost. `control_update` is the partial form (what the API's
``PATCH`` sends): it changes only the fields it is given and returns the control before and after.
Catalog writes (the collectors) live in `ouroboros.controls.services` and never touch these fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from ouroboros.controls.exemptions import MAX_EXEMPTIONS, ExemptionInput, exemption_build
from ouroboros.errors import ConflictError, NotFoundError, ValidationError
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL, MODES, Exemption


class ControlConflictError(ConflictError):
    """The control changed since the form was read; ``current`` is what is stored now."""

    def __init__(self, message: str, *, current: ControlModel | None = None) -> None:
        super().__init__(message)
        self.current = current


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


def _reactor_check(reactor_id: str | None, mode: str) -> None:
    if mode not in MODES:
        raise ValidationError(f"Mode must be one of {', '.join(MODES)} (got {mode!r})")
    if mode != "off" and not reactor_id:
        raise ValidationError(f"Mode {mode} needs a reactor: select an installed reactor first")
    if not reactor_id:
        return
    try:
        reactor = LocalReactorModel.get(reactor_id)
    except LocalReactorModel.DoesNotExist:
        raise ValidationError(f"Reactor {reactor_id} is not installed in this account") from None
    if reactor.status != "installed":
        raise ValidationError(
            f"Reactor {reactor_id} is not ready (status {reactor.status}); "
            "wait for its installation to finish"
        )


def control_configure(
    *,
    control_id: str,
    expected_version: int,
    reactor_id: str | None,
    mode: str,
    exemptions: Sequence[Exemption | ExemptionInput],
    actor: str,
    now: datetime | None = None,
) -> ControlModel:
    """Set the reactor, mode and exemptions of a control, if nobody changed it since version
    ``expected_version`` (0: never configured).

    Stored `Exemption` entries are kept as they are; `ExemptionInput` entries are validated and
    added. Raises `ValidationError` (nothing written) for a bad mode, a reactor that is not
    installed, or a bad exemption; `NotFoundError` for an unknown control;
    `ControlConflictError` (a `ConflictError`) when the version moved on.
    """
    now = now or datetime.now(UTC)
    reactor_id = (reactor_id or "").strip() or None
    _reactor_check(reactor_id, mode)
    entries = [
        e if isinstance(e, Exemption) else exemption_build(e, actor=actor, now=now)
        for e in exemptions
    ]
    if len(entries) > MAX_EXEMPTIONS:
        raise ValidationError(f"A control holds at most {MAX_EXEMPTIONS} exemptions")
    control = ControlModel(control_id, KIND_CONTROL)
    if expected_version:
        control.version = expected_version
    actions: list[Action] = [
        ControlModel.mode.set(mode),
        ControlModel.updated_by.set(actor),
        ControlModel.updated_at.set(now),
        ControlModel.reactor_id.set(reactor_id) if reactor_id else ControlModel.reactor_id.remove(),
        ControlModel.exemptions.set(entries) if entries else ControlModel.exemptions.remove(),
    ]
    exists = ControlModel.control_id.exists() & (ControlModel.kind == KIND_CONTROL)
    try:
        control.update(actions=actions, condition=exists)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise _conflict(control_id, expected_version) from None
    return control


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
    )


def control_assign_reactor(
    *, control_id: str, expected_version: int, reactor_id: str | None, mode: str, actor: str
) -> ControlModel:
    """Set the reactor and mode of a control at ``expected_version``; keep its exemptions."""
    current = _stored(control_id, expected_version)
    return control_configure(
        control_id=control_id,
        expected_version=expected_version,
        reactor_id=reactor_id,
        mode=mode,
        exemptions=list(current.exemptions or []),
        actor=actor,
    )


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
) -> ControlChange:
    """Change some of the reactor, mode and exemptions of a control at ``expected_version``.

    Fields left at `KEEP` stay as stored; ``reactor_id=None`` unassigns the reactor.
    ``exemptions`` is the whole new list: a string keeps the stored exemption of that id, an
    `ExemptionInput` adds a new one, and stored exemptions not named are removed. Raises like
    `control_configure`, and `ValidationError` for an exemption id the control does not hold.
    """
    current = _stored(control_id, expected_version)
    stored = {e.exemption_id: e for e in current.exemptions or []}
    entries: list[Exemption | ExemptionInput] = list(stored.values())
    if not isinstance(exemptions, Keep):
        unknown = [e for e in exemptions if isinstance(e, str) and e not in stored]
        if unknown:
            raise ValidationError(f"Control {control_id} has no exemption {', '.join(unknown)}")
        entries = [stored[e] if isinstance(e, str) else e for e in exemptions]
    after = control_configure(
        control_id=control_id,
        expected_version=expected_version,
        reactor_id=current.reactor_id if isinstance(reactor_id, Keep) else reactor_id,
        mode=(current.mode or "off") if isinstance(mode, Keep) else mode,
        exemptions=entries,
        actor=actor,
    )
    return ControlChange(before=current, after=after)
