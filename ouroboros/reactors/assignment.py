"""Assigning an installed reactor and a mode to many controls at once, and finding the controls.

`control_reactor_assign` validates everything first (the mode, the reactor is installed, every
control exists), then writes the controls in DynamoDB transactions of up to 100 items, each
conditional on the control's ``version`` as read: up to 100 controls change together or not at
all, and an edit made meanwhile by someone else fails the request instead of being overwritten.
Beyond 100 controls, each chunk of 100 is atomic on its own.

`assignment_candidates` lists controls by standard, severity and service, from one index Query
(with a filter expression at most; by standard: the memberships' Query, then BatchGet).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from ouroboros.errors import ConflictError, ValidationError
from ouroboros.models import ControlModel
from ouroboros.models.controls import KIND_CONTROL, KIND_STANDARD, MODES
from ouroboros.reactors.errors import ReactorStateError
from ouroboros.reactors.services import reactor_installed_get

TRANSACTION_SIZE = 100
MAX_CONTROLS = 1000


@dataclass(frozen=True)
class AssignmentResult:
    """What `control_reactor_assign` wrote."""

    reactor_id: str
    mode: str
    control_ids: list[str]


def _controls(control_ids: Sequence[str]) -> list[ControlModel]:
    found = {
        c.control_id: c
        for c in ControlModel.batch_get([(cid, KIND_CONTROL) for cid in control_ids])
    }
    missing = [cid for cid in control_ids if cid not in found]
    if missing:
        raise ValidationError(f"unknown controls: {', '.join(missing[:10])}")
    return [found[cid] for cid in control_ids]


def control_reactor_assign(
    *, control_ids: Iterable[str], reactor_id: str, mode: str, actor: str
) -> AssignmentResult:
    """Assign ``reactor_id`` with ``mode`` to every control of ``control_ids`` (see above)."""
    ids = list(dict.fromkeys(c.strip() for c in control_ids if c and c.strip()))
    if not ids:
        raise ValidationError("select at least one control")
    if len(ids) > MAX_CONTROLS:
        raise ValidationError(f"at most {MAX_CONTROLS} controls per request")
    if mode not in MODES:
        raise ValidationError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    installed = reactor_installed_get(reactor_id=reactor_id)
    if installed.status != "installed":
        raise ReactorStateError(f"{reactor_id} is {installed.status}, not installed")
    controls = _controls(ids)
    now = datetime.now(UTC)
    for start in range(0, len(controls), TRANSACTION_SIZE):
        try:
            with TransactWrite(connection=ControlModel._get_connection().connection) as tx:
                for control in controls[start : start + TRANSACTION_SIZE]:
                    tx.update(
                        control,
                        actions=[
                            ControlModel.reactor_id.set(reactor_id),
                            ControlModel.mode.set(mode),
                            ControlModel.updated_by.set(actor),
                            ControlModel.updated_at.set(now),
                        ],
                        condition=ControlModel.kind == KIND_CONTROL,
                    )
        except TransactWriteError as exc:
            done = f"; the first {start} were assigned" if start else ""
            raise ConflictError(
                f"controls changed meanwhile, none of this batch was assigned{done}: "
                f"{exc.cause_response_message}"
            ) from exc
    return AssignmentResult(reactor_id=reactor_id, mode=mode, control_ids=ids)


def assignment_candidates(
    *,
    standard_id: str | None = None,
    severity: str | None = None,
    service: str | None = None,
    limit: int = MAX_CONTROLS,
) -> list[ControlModel]:
    """Controls matching every given filter, by control id."""
    if standard_id:
        member_ids = [
            m.control_id for m in ControlModel.standard_index.query(standard_id, limit=limit)
        ]
        controls = [
            c
            for c in ControlModel.batch_get([(cid, KIND_CONTROL) for cid in member_ids])
            if (not severity or c.severity == severity) and (not service or c.service == service)
        ]
        return sorted(controls, key=lambda c: c.control_id)
    condition: Condition | None = None
    if severity:
        if service:
            condition = ControlModel.service == service
        return list(
            ControlModel.severity_index.query(severity, filter_condition=condition, limit=limit)
        )
    if service:
        return list(ControlModel.service_index.query(service, limit=limit))
    return list(ControlModel.kind_index.query(KIND_CONTROL, limit=limit))


def standards_list() -> list[ControlModel]:
    """The enabled standards (one Query)."""
    return list(ControlModel.kind_index.query(KIND_STANDARD))
