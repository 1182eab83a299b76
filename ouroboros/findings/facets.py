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

Reads count against the page's budget (a list page reads at most twice its size, counters
included): `FindingFacets.items_read` says how many counter items a call read (0 from the
cache) so the list can read that many fewer findings; with two filters only the two filters'
own dimensions are read (a ``begins_with`` on the dimension), not the whole scope. Groups by
control or account are the facets' own counts (no second read); groups by resource are read a
page at a time (`FindingGroups.next_after`), most findings first when one page holds them all,
else in resource id order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from ouroboros.aggregates.facets import (
    FACET_DIMENSIONS,
    MAX_BUCKET_BYTES,
    RESOURCE_AGGREGATE,
    facet_aggregate_id,
)
from ouroboros.errors import ValidationError
from ouroboros.findings.plan import FindingFilters, filters_normalized, record_state_of
from ouroboros.models import AggregateModel

GROUP_BY = ("control", "account", "resource")
#: Resource groups read per page by default (one bucket per resource, in resource id order).
RESOURCE_GROUPS_PAGE = 50
FACETS_TTL = 10.0


@dataclass(frozen=True)
class FindingFacets:
    """Per facet dimension, value -> count (None: the counters cannot say), and the total."""

    record_state: str
    total: int | None
    counts: dict[str, dict[str, int] | None] = field(default_factory=dict)
    #: Counter items this call read from DynamoDB (0: answered from the cache).
    items_read: int = 0


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
    #: Resource groups: the last resource id of this page when more follow (the next page's
    #: ``after``), else None.
    next_after: str | None = None
    items_read: int = 0


class _Reads:
    """Counter items read by one facets or groups call (each counts against the page)."""

    def __init__(self) -> None:
        self.items = 0

    def buckets(
        self,
        aggregate_id: str,
        prefix: str,
        *,
        limit: int | None = None,
        after: str | None = None,
    ) -> tuple[dict[str, int], str | None]:
        """``bucket - prefix`` -> count of the buckets under ``prefix`` (> 0), at most ``limit``
        of them after the bucket ``prefix + after``; and, when more buckets follow, the last one
        read (``bucket - prefix``: where the next page starts), else None."""
        condition = AggregateModel.bucket.startswith(prefix) if prefix else None
        start = None
        if after:
            start = {"aggregate_id": {"S": aggregate_id}, "bucket": {"S": prefix + after}}
        read = None if limit is None else limit + 1  # one more: does another page follow?
        items = AggregateModel.query(
            aggregate_id, condition, limit=read, last_evaluated_key=start, page_size=read
        )
        counts: dict[str, int] = {}
        last = None
        for n, item in enumerate(items):
            self.items += 1
            if limit is not None and n == limit:
                return counts, last
            last = item.bucket[len(prefix) :]
            if item.value is None and (item.total or 0) > 0:
                counts[last] = int(item.total or 0)
        return counts, None

    def counts(self, aggregate_id: str, prefix: str) -> dict[str, int]:
        return self.buckets(aggregate_id, prefix)[0]

    def scoped(
        self, dimension: str, value: str, record_state: str, only: str = ""
    ) -> dict[str, dict[str, int]]:
        """Other dimension -> value -> count, for the findings whose ``dimension`` is ``value``
        (only the dimension ``only`` when given: a narrower ``begins_with``)."""
        prefix = f"{record_state}#{only}#" if only else f"{record_state}#"
        counts: dict[str, dict[str, int]] = {}
        for bucket, count in self.counts(facet_aggregate_id(dimension, value), prefix).items():
            other, _, other_value = (only, "#", bucket) if only else bucket.partition("#")
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
        return replace(cached[1], items_read=0)
    facets = _facets(state, values)
    if values is not None:
        _facets_cache[key] = (time.monotonic(), facets)
    return facets


def _facets(state: str, values: dict[str, str] | None) -> FindingFacets:
    unknown: dict[str, dict[str, int] | None] = dict.fromkeys(FACET_DIMENSIONS)
    if values is None or len(values) > 2:
        return FindingFacets(state, None, unknown)
    reads = _Reads()
    if not values:
        every = {d: reads.counts(f"findings#{d}", f"{state}#") for d in FACET_DIMENSIONS}
        total = reads.counts("findings#state", "").get(state, 0)
        return FindingFacets(state, total, dict(every), reads.items)
    if len(values) == 1:
        ((dimension, value),) = values.items()
        scope = reads.scoped(dimension, value, state)
        own = reads.counts(f"findings#{dimension}", f"{state}#")  # the filter's other values
        counts: dict[str, dict[str, int] | None] = {
            d: own if d == dimension else scope.get(d, {}) for d in FACET_DIMENSIONS
        }
        return FindingFacets(state, own.get(value, 0), counts, reads.items)
    (first, first_value), (second, second_value) = values.items()
    counts = dict(unknown)
    counts[first] = reads.scoped(second, second_value, state, only=first).get(first, {})
    counts[second] = reads.scoped(first, first_value, state, only=second).get(second, {})
    total = (counts[second] or {}).get(second_value, 0)
    return FindingFacets(state, total, counts, reads.items)


def finding_groups(
    *,
    filters: FindingFilters,
    by: str,
    after: str | None = None,
    page_size: int = RESOURCE_GROUPS_PAGE,
) -> FindingGroups:
    """The view's findings per ``by`` (control, account, resource).

    Controls and accounts are the counts `finding_facets` keeps for the view (no filter or one
    facet filter other than ``by``), most findings first; resources come from
    ``findings#resource`` (no filter only), ``page_size`` at a time after the resource id
    ``after`` (module docstring). Raises `ValidationError` for an unknown ``by`` or a bad filter
    value.
    """
    if by not in GROUP_BY:
        raise ValidationError(f"Group by must be one of {', '.join(GROUP_BY)} (got {by!r})")
    state = record_state_of(filters)
    values = _facet_filters(filters)
    if values == {} and by == "resource":
        if after is not None and not _valid_after(after):
            raise ValidationError("That resource page link is not valid: start from the first page")
        reads = _Reads()
        counts, last = reads.buckets(
            RESOURCE_AGGREGATE, f"{state}#", limit=page_size, after=after or None
        )
        if last is None and not after:  # one page holds every resource: most findings first
            return FindingGroups(by, _ranked(counts), items_read=reads.items)
        ordered = [FindingGroup(v, c) for v, c in counts.items()]
        note = f"Resources in resource id order, {page_size} per page."
        return FindingGroups(by, ordered, note, next_after=last, items_read=reads.items)
    if by != "resource" and values is not None and len(values) <= 1 and by not in values:
        facets = finding_facets(filters=filters)
        counts = facets.counts.get(by) or {}
        return FindingGroups(by, _ranked(counts), items_read=facets.items_read)
    what = "the list with no filter or one filter" if by != "resource" else "the whole list"
    return FindingGroups(by, None, f"Counts per {by} are kept for {what} only.")


def _valid_after(after: str) -> bool:
    """A resource id a page link may carry: printable, within a sort key's size."""
    return bool(after) and after.isprintable() and len(after.encode()) <= MAX_BUCKET_BYTES - 16


def _ranked(counts: dict[str, int]) -> list[FindingGroup]:
    return [FindingGroup(v, c) for v, c in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]
