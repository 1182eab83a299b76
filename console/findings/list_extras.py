"""What the findings list shows around its rows: facet counts, the total, groups and the pager.

- Facets and the total come from `ouroboros.findings.facets` (aggregates, never a count over
  items); a dimension the counters cannot answer for this view is shown as "—".
- Group by control, account or resource (``?group=``) replaces the rows with the view's groups,
  each linking to the list filtered on it.
- Previous page: cursors only go forward, so each "Next page" link carries the trail of the
  cursors of the pages before it (``?trail=``, at most `MAX_TRAIL`, oldest dropped first; ``-``
  stands for the first page); "Previous page" pops it. A trail is only a list of cursors the
  list signs and checks anyway, so a forged one gives the same 400 as a forged cursor.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from console.findings.templatetags.console_query import query_with
from ouroboros.errors import ValidationError
from ouroboros.findings.facets import (
    FindingFacets,
    FindingGroups,
    finding_facets,
    finding_groups,
)
from ouroboros.findings.plan import COMPLIANCE_STATUSES, SEVERITIES, WORKFLOW_STATUSES
from ouroboros.findings.selectors import FindingFilters, FindingPage

logger = logging.getLogger(__name__)

MAX_TRAIL = 10
FIRST_PAGE = "-"
#: Values shown for the open-ended dimensions (most findings first).
TOP_VALUES = 10
_LABELS = {
    "severity": "Severity",
    "compliance": "Compliance",
    "workflow": "Workflow",
    "account": "Account",
    "control": "Control",
}
_ORDERED = {
    "severity": SEVERITIES,
    "compliance": COMPLIANCE_STATUSES,
    "workflow": WORKFLOW_STATUSES,
}


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    href: str
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    #: None: the counters cannot answer this dimension for this view ("—").
    values: list[FacetValue] | None
    more: int = 0


@dataclass(frozen=True)
class Pager:
    previous_href: str | None
    next_href: str | None


def _facet(request: HttpRequest, name: str, counts: dict[str, int] | None, selected: str) -> Facet:
    if counts is None:
        return Facet(name, _LABELS[name], None)
    context = {"request": request}
    if name in _ORDERED:
        ordered = [(v, counts.get(v, 0)) for v in _ORDERED[name]]
        more = 0
    else:
        ranked = sorted(counts.items(), key=lambda i: (-i[1], i[0]))
        ordered, more = ranked[:TOP_VALUES], max(0, len(ranked) - TOP_VALUES)
    values = [
        FacetValue(v, c, query_with(context, **{name: v}), v.upper() == selected.upper())
        for v, c in ordered
    ]
    return Facet(name, _LABELS[name], values, more)


def _groups_hrefs(request: HttpRequest, groups: FindingGroups) -> list[tuple[str, int, str]]:
    context = {"request": request}
    rows = []
    for group in groups.groups or []:
        href = query_with(context, group="", **{groups.by: group.value})
        rows.append((group.value, group.count, href))
    return rows


def _pager(request: HttpRequest, page: FindingPage) -> Pager:
    context = {"request": request}
    trail = [t for t in request.GET.get("trail", "").split(",") if t][-MAX_TRAIL:]
    cursor = request.GET.get("cursor") or ""
    previous = None
    if cursor and trail:
        back = trail[-1]
        previous = query_with(
            context,
            cursor="" if back == FIRST_PAGE else back,
            trail=",".join(trail[:-1]),
        )
    elif cursor:
        previous = query_with(context, trail="")  # the trail was cut: back to the first page
    following = None
    if page.next_cursor:
        onward = [*trail, cursor or FIRST_PAGE][-MAX_TRAIL:]
        following = query_with(context, cursor=page.next_cursor, trail=",".join(onward))
    return Pager(previous, following)


def finding_list_extras(
    request: HttpRequest, filters: FindingFilters | None, page: FindingPage | None, group: str
) -> dict[str, Any]:
    """The template context of the list's facets, total, groups and pager (see module doc)."""
    if filters is None or page is None:
        return {"facets": [], "total": None, "groups": None, "pager": None}
    logger.debug(
        "findings list: Query %s (%s), %d items read",
        page.plan.index,
        ", ".join(page.plan.keys),
        page.read_count,
    )
    try:
        facets: FindingFacets | None = finding_facets(filters=filters)
    except ValidationError:
        facets = None
    selected = {
        "severity": filters.severity or "",
        "compliance": filters.compliance or "",
        "workflow": filters.workflow or "",
        "account": filters.account or "",
        "control": filters.control or "",
    }
    shown = [
        _facet(request, name, facets.counts.get(name) if facets else None, selected[name])
        for name in _LABELS
    ]
    groups = finding_groups(filters=filters, by=group) if group else None
    return {
        "facets": shown,
        "total": facets.total if facets else None,
        "groups": groups,
        "group_rows": _groups_hrefs(request, groups) if groups else [],
        "pager": _pager(request, page),
    }
