"""Reads of controls: the controls list (filter, search, sort), one control, and choices for forms.

The control list is bounded by the catalog (hundreds of controls, not millions of findings), so
`control_list` reads the matching controls with ONE Query and then searches and sorts them in
memory: the Query's key is the most selective filter with an index (assigned reactor, mode,
severity, status, service; otherwise ``kind-index``); the other filters, the standard, and the
search on id and title are applied to what it returned. No Scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ouroboros.errors import NotFoundError, ValidationError
from ouroboros.models import ControlModel, LocalReactorModel
from ouroboros.models.controls import KIND_CONTROL, KIND_STANDARD, MODES
from ouroboros.models.findings import SEVERITY_RANK
from ouroboros.securityhub.catalog import catalog_lookup

SORTS = ("control", "-control", "severity", "title", "service", "-failed", "-updated")
REACTOR_ANY = "*"
REACTOR_NONE = "-"
STATUSES = ("ENABLED", "DISABLED")


@dataclass(frozen=True)
class ControlFilters:
    """Filters of the controls list; None or "" means "any".

    ``reactor`` is a reactor id, `REACTOR_ANY` (some reactor assigned) or `REACTOR_NONE`;
    ``mode`` ``off`` also matches controls nobody configured yet.
    """

    standard: str | None = None
    severity: str | None = None
    status: str | None = None
    service: str | None = None
    reactor: str | None = None
    mode: str | None = None
    search: str | None = None


@dataclass
class ControlList:
    """The matching controls in order, and the Query that read them."""

    items: list[ControlModel]
    index: str
    read_count: int


@dataclass
class ControlDetail:
    """A control, the standards it belongs to (id -> status) and their names."""

    control: ControlModel
    standards: dict[str, str] = field(default_factory=dict)


def _natural(control_id: str) -> list[Any]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", control_id)]


def _sorted(items: list[ControlModel], sort: str) -> list[ControlModel]:
    by_id = sorted(items, key=lambda c: _natural(c.control_id))
    if sort == "-control":
        return by_id[::-1]
    if sort == "severity":
        return sorted(by_id, key=lambda c: -SEVERITY_RANK.get(c.severity or "", -1))
    if sort == "title":
        return sorted(by_id, key=lambda c: (c.title or "").lower())
    if sort == "service":
        return sorted(by_id, key=lambda c: (c.service or "").lower())
    if sort == "-failed":
        return sorted(by_id, key=lambda c: -int(c.failed_count or 0))
    if sort == "-updated":
        return sorted(by_id, key=lambda c: c.updated_at.timestamp() if c.updated_at else 0)[::-1]
    return by_id


def _matches(control: ControlModel, filters: ControlFilters, words: list[str]) -> bool:
    checks = [
        not filters.standard or filters.standard in (control.standard_ids or set()),
        not filters.severity or control.severity == filters.severity,
        not filters.status or control.status == filters.status,
        not filters.service or (control.service or "").lower() == filters.service.lower(),
        not filters.mode or (control.mode or "off") == filters.mode,
        not words or all(w in f"{control.control_id} {control.title or ''}".lower() for w in words),
    ]
    if filters.reactor == REACTOR_ANY:
        checks.append(bool(control.reactor_id))
    elif filters.reactor == REACTOR_NONE:
        checks.append(not control.reactor_id)
    elif filters.reactor:
        checks.append(control.reactor_id == filters.reactor)
    return all(checks)


def _validated(filters: ControlFilters, sort: str) -> ControlFilters:
    if sort not in SORTS:
        raise ValidationError(f"Sort must be one of {', '.join(SORTS)} (got {sort!r})")
    severity = (filters.severity or "").strip().upper() or None
    if severity and severity not in SEVERITY_RANK:
        raise ValidationError(f"Severity must be one of {', '.join(SEVERITY_RANK)}")
    status = (filters.status or "").strip().upper() or None
    if status and status not in STATUSES:
        raise ValidationError(f"Status must be one of {', '.join(STATUSES)}")
    mode = (filters.mode or "").strip() or None
    if mode and mode not in MODES:
        raise ValidationError(f"Mode must be one of {', '.join(MODES)}")
    return ControlFilters(
        standard=(filters.standard or "").strip() or None,
        severity=severity,
        status=status,
        service=(filters.service or "").strip() or None,
        reactor=(filters.reactor or "").strip() or None,
        mode=mode,
        search=(filters.search or "").strip()[:200] or None,
    )


def _query(filters: ControlFilters) -> tuple[str, Any]:
    if filters.reactor and filters.reactor not in (REACTOR_ANY, REACTOR_NONE):
        return "reactor-index", ControlModel.reactor_index.query(filters.reactor)
    if filters.mode and filters.mode != "off":
        return "mode-index", ControlModel.mode_index.query(filters.mode)
    if filters.severity:
        return "severity-index", ControlModel.severity_index.query(filters.severity)
    if filters.status:
        return "status-index", ControlModel.status_index.query(filters.status)
    if filters.service:
        return "service-index", ControlModel.service_index.query(filters.service)
    return "kind-index", ControlModel.kind_index.query(KIND_CONTROL)


def control_list(*, filters: ControlFilters | None = None, sort: str = "control") -> ControlList:
    """Every control matching ``filters``, in ``sort`` order (one Query, then in memory)."""
    filters = _validated(filters or ControlFilters(), sort)
    index, results = _query(filters)
    words = [w.lower() for w in (filters.search or "").split()]
    read = 0
    items: list[ControlModel] = []
    for control in results:
        read += 1
        if control.kind == KIND_CONTROL and _matches(control, filters, words):
            items.append(control)
    return ControlList(items=_sorted(items, sort), index=index, read_count=read)


def control_get(*, control_id: str) -> ControlDetail:
    """A control with its standards; `NotFoundError` if there is no such control."""
    known = catalog_lookup(control_id or "")
    canonical = known.control_id if known else (control_id or "").strip()
    if not canonical:
        raise NotFoundError("No control id given")
    try:
        control = ControlModel.get(canonical, KIND_CONTROL)
    except ControlModel.DoesNotExist:
        raise NotFoundError(f"Control {canonical} does not exist") from None
    standards = {
        member.standard_id or member.sk.removeprefix("STANDARD#"): member.standard_status or ""
        for member in ControlModel.query(canonical, ControlModel.sk.startswith("STANDARD#"))
    }
    return ControlDetail(control=control, standards=standards)


def standard_list() -> dict[str, str]:
    """Enabled standards: id -> name (one Query on ``kind-index``)."""
    return {
        item.control_id.removeprefix(f"{KIND_STANDARD}#"): item.name or item.control_id
        for item in ControlModel.kind_index.query(KIND_STANDARD)
    }


def control_reactor_options() -> list[LocalReactorModel]:
    """Reactors an operator may assign: installed in this account (one Query on ``kind-index``)."""
    installed = LocalReactorModel.status == "installed"
    return list(LocalReactorModel.kind_index.query("REACTOR", filter_condition=installed))


def control_assignment_candidates(
    *,
    standard_id: str | None = None,
    severity: str | None = None,
    service: str | None = None,
    limit: int = 1000,
) -> list[ControlModel]:
    """Controls matching every given filter (the bulk assignment's list), by control id.

    One index Query with a filter expression at most; by standard: the memberships' Query, then
    BatchGet.
    """
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
    if severity:
        condition = (ControlModel.service == service) if service else None
        found = ControlModel.severity_index.query(severity, filter_condition=condition, limit=limit)
    elif service:
        found = ControlModel.service_index.query(service, limit=limit)
    else:
        found = ControlModel.kind_index.query(KIND_CONTROL, limit=limit)
    return sorted(found, key=lambda c: c.control_id)
