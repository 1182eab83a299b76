"""Counts beside the findings list's filters, its total, and its groups: read from aggregates.

`finding_facets` answers, for the filters of a view, how many findings each value of each facet
dimension would give and how many the view holds; `finding_groups` lists the view's findings per
control, account or resource. Both read the counters writers keep (`ouroboros.aggregates` and
`ouroboros.aggregates.facets`, which says which combinations they can answer): a Query per
aggregate, never a count over items. What the counters cannot answer is None (the page shows
"—"), never an estimate.

The facets of a view are cached for `FACETS_TTL` seconds per process (the list's hottest extra:
six Queries), like the accounts and titles of the filter form; `finding_facets_reset` forgets
them (tests, `control_titles_reset`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ouroboros.aggregates.facets import FACET_DIMENSIONS, RESOURCE_AGGREGATE, facet_aggregate_id
from ouroboros.errors import ValidationError
from ouroboros.findings.plan import FindingFilters, filters_normalized, record_state_of
from ouroboros.models import AggregateModel

GROUP_BY = ("control", "account", "resource")
#: Groups read for a group-by resource (one bucket per resource, in resource id order).
MAX_RESOURCE_GROUPS = 200
FACETS_TTL = 10.0


@dataclass(frozen=True)
class FindingFacets:
    """Per facet dimension, value -> count (None: the counters cannot say), and the total."""

    record_state: str
    total: int | None
    counts: dict[str, dict[str, int] | None] = field(default_factory=dict)


@dataclass(frozen=True)
class FindingGroup:
    """One group of a group-by: its value (a control id, account, resource) and its count."""

    value: str
    count: int


@dataclass(frozen=True)
class FindingGroups:
    """The groups of a view (None: the counters cannot group this view) and a note for the page."""

    by: str
    groups: list[FindingGroup] | None
    note: str = ""


def _buckets(aggregate_id: str, prefix: str, *, limit: int | None = None) -> dict[str, int]:
    """``bucket - prefix`` -> count of the buckets of ``aggregate_id`` under ``prefix`` (> 0)."""
    condition = AggregateModel.bucket.startswith(prefix) if prefix else None
    items = AggregateModel.query(aggregate_id, condition, limit=limit)
    return {
        item.bucket[len(prefix) :]: int(item.total or 0)
        for item in items
        if item.value is None and (item.total or 0) > 0
    }


def _scoped(dimension: str, value: str, record_state: str) -> dict[str, dict[str, int]]:
    """Other dimension -> value -> count, for the findings whose ``dimension`` is ``value``."""
    counts: dict[str, dict[str, int]] = {}
    for bucket, count in _buckets(facet_aggregate_id(dimension, value), f"{record_state}#").items():
        other, _, other_value = bucket.partition("#")
        counts.setdefault(other, {})[other_value] = count
    return counts


def _facet_filters(filters: FindingFilters) -> dict[str, str] | None:
    """The facet filters of ``filters``, or None when another filter or a search is set."""
    values = filters_normalized(filters)
    if (filters.search or "").strip() or set(values) - set(FACET_DIMENSIONS):
        return None
    return values


_facets_cache: dict[tuple[str, str, tuple[tuple[str, str], ...]], tuple[float, FindingFacets]] = {}


def finding_facets_reset() -> None:
    """Forget the cached facets (tests; see the module docstring)."""
    _facets_cache.clear()


def finding_facets(*, filters: FindingFilters) -> FindingFacets:
    """The counts beside each filter and the total of the view ``filters`` selects.

    Raises `ValidationError` for a bad filter value (as `finding_list` does).
    """
    state = record_state_of(filters)
    values = _facet_filters(filters)
    key = (AggregateModel.Meta.table_name, state, tuple(sorted((values or {}).items())))
    cached = _facets_cache.get(key) if values is not None else None
    if cached and time.monotonic() - cached[0] < FACETS_TTL:
        return cached[1]
    facets = _facets(state, values)
    if values is not None:
        _facets_cache[key] = (time.monotonic(), facets)
    return facets


def _facets(state: str, values: dict[str, str] | None) -> FindingFacets:
    unknown: dict[str, dict[str, int] | None] = dict.fromkeys(FACET_DIMENSIONS)
    if values is None or len(values) > 2:
        return FindingFacets(state, None, unknown)
    if not values:
        every = {d: _buckets(f"findings#{d}", f"{state}#") for d in FACET_DIMENSIONS}
        total = _buckets("findings#state", "").get(state, 0)
        return FindingFacets(state, total, dict(every))
    scopes = {d: _scoped(d, v, state) for d, v in values.items()}
    if len(values) == 1:
        ((dimension, value),) = values.items()
        own = _buckets(f"findings#{dimension}", f"{state}#")  # the other values of the filter
        counts: dict[str, dict[str, int] | None] = {
            d: own if d == dimension else scopes[dimension].get(d, {}) for d in FACET_DIMENSIONS
        }
        return FindingFacets(state, own.get(value, 0), counts)
    (first, _), (second, second_value) = values.items()
    counts = dict(unknown)
    counts[first] = scopes[second].get(first, {})
    counts[second] = scopes[first].get(second, {})
    total = scopes[first].get(second, {}).get(second_value, 0)
    return FindingFacets(state, total, counts)


def finding_groups(*, filters: FindingFilters, by: str) -> FindingGroups:
    """The view's findings per ``by`` (control, account, resource), most findings first.

    Controls and accounts come from ``findings#<by>`` (no filter) or the scope of one facet
    filter; resources from ``findings#resource`` (no filter only; the first
    `MAX_RESOURCE_GROUPS` resource ids in id order). Raises `ValidationError` for an unknown
    ``by`` or a bad filter value.
    """
    if by not in GROUP_BY:
        raise ValidationError(f"Group by must be one of {', '.join(GROUP_BY)} (got {by!r})")
    state = record_state_of(filters)
    values = _facet_filters(filters)
    note = ""
    if values == {} and by == "resource":
        counts = _buckets(RESOURCE_AGGREGATE, f"{state}#", limit=MAX_RESOURCE_GROUPS)
        if len(counts) >= MAX_RESOURCE_GROUPS:
            note = f"The first {MAX_RESOURCE_GROUPS} resources, in resource id order."
    elif values == {}:
        counts = _buckets(f"findings#{by}", f"{state}#")
    elif values is not None and len(values) == 1 and by != "resource" and by not in values:
        ((dimension, value),) = values.items()
        counts = _scoped(dimension, value, state).get(by, {})
    else:
        what = "the list with no filter or one filter" if by != "resource" else "the whole list"
        return FindingGroups(by, None, f"Counts per {by} are kept for {what} only.")
    groups = [FindingGroup(v, c) for v, c in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]
    return FindingGroups(by, groups, note)
