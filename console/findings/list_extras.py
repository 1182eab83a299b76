"""What the findings list shows around its rows: facet counts, the total, groups and the pager.

- Facets and the total come from `ouroboros.findings.facets` (aggregates, never a count over
  items); a dimension the counters cannot answer for this view is shown as "—".
- Group by control, account or resource (``?group=``) replaces the rows with the view's groups,
  each linking to the list filtered on it; resources come a page at a time (``?group_after=``,
  the last resource id of the page before).
- One read budget per page (twice its size): the facets and groups are read first and the
  findings Query reads that many fewer items (`list_counts`, `finding_list`'s ``read_already``);
  when the groups replace the rows, the findings are not read at all.
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
        href = query_with(context, group="", group_after="", **{groups.by: group.value})
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


@dataclass(frozen=True)
class ListCounts:
    """What a list page reads besides its rows: facets (None: a bad filter) and groups."""

    facets: FindingFacets | None
    groups: FindingGroups | None

    @property
    def items_read(self) -> int:
        return (self.facets.items_read if self.facets else 0) + (
            self.groups.items_read if self.groups else 0
        )

    @property
    def replaces_rows(self) -> bool:
        """The groups are shown instead of the rows (the findings need not be read)."""
        return self.groups is not None and self.groups.groups is not None


def list_counts(
    request: HttpRequest, filters: FindingFilters, group: str, page_size: int
) -> ListCounts:
    """The facets and groups of a list view. Raises `ValidationError` for a bad group link."""
    try:
        facets: FindingFacets | None = finding_facets(filters=filters)
    except ValidationError:
        facets = None  # the findings Query says what is wrong with the filter
    groups = None
    if group and facets is not None:
        after = request.GET.get("group_after")
        groups = finding_groups(filters=filters, by=group, after=after, page_size=page_size)
    return ListCounts(facets, groups)


def finding_list_extras(
    request: HttpRequest,
    counts: ListCounts | None,
    page: FindingPage | None,
    filters: FindingFilters | None,
) -> dict[str, Any]:
    """The template context of the list's facets, total, groups and pager (see module doc)."""
    if counts is None or filters is None or (page is None and not counts.replaces_rows):
        return {"facets": [], "total": None, "groups": None, "pager": None, "grouped": False}
    if page is not None:
        logger.debug(
            "findings list: Query %s (%s), %d items read",
            page.plan.index,
            ", ".join(page.plan.keys),
            page.read_count,
        )
    facets = counts.facets
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
    groups = counts.groups
    return {
        "facets": shown,
        "total": facets.total if facets else None,
        "groups": groups,
        "group_rows": _groups_hrefs(request, groups) if groups else [],
        "groups_next_href": (
            query_with({"request": request}, group_after=groups.next_after)
            if groups and groups.next_after
            else None
        ),
        "pager": _pager(request, page) if page is not None else None,
        "grouped": counts.replaces_rows,
    }
