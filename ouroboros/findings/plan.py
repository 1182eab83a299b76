"""How a findings list is served: the plan of ONE Query on one index of `FindingModel`.

`finding_plan` picks the index and key of `FindingModel` (see its docstring):

- no filter: ``state-updated-index`` (or ``state-severity-index`` / ``state-observed-index`` to
  sort by severity or by first observation);
- one filter: that filter's index, keyed ``<record state>#<value>``, newest first;
- more filters: the most selective one (in the order of ``FILTERS`` below: resource, control,
  account, resource type, product, region, workflow, compliance, severity) is the Query's key, the
  others are a filter expression, and a page reads until it is full or its read budget (twice
  the page size, `ouroboros.findings.selectors.READ_BUDGET_FACTOR`) is spent: then it shows what
  matched so far and continues from there on the next page;
- a search replaces the key: a control id uses ``control-index``, a resource id / ARN
  ``resource-index``, words of a title are resolved first (see below).

A filtered list is always ordered by update time (``updated`` / ``-updated``); sorting by severity
or first observation is offered on the unfiltered list, where the ``state-*`` indexes hold that
order. The page says so in ``plan.notices`` rather than sorting in memory.

Title search. DynamoDB cannot search inside strings without reading every item, so words are
resolved to keys first, then the findings of each key are read and merged by update time:

- the words are matched (all of them, any case) against the control titles of
  ``security_controls`` (one cached Query on ``kind-index``); the findings of each matching
  control come from ``control-index`` (at most ``TITLE_MAX_KEYS`` controls);
- they are matched against the distinct titles of findings WITHOUT a control (GuardDuty,
  Inspector, Macie...), which the writers count in the ``findings#title`` aggregate (one cached
  Query per record state); the findings of each matching title come from ``title-index`` (at
  most ``TITLE_MAX_KEYS`` titles, those with the most findings first);
- the whole text is also looked up as an exact title in ``title-index`` (case and spacing
  ignored).

A word must appear as typed inside the title (``brute`` finds "SSH brute force attacks"; there is
no stemming or fuzzy match). When more than ``TITLE_MAX_KEYS`` controls match, the ones kept are
those with the most FAILED findings, then the most findings (``findings#control_failed`` and
``findings#control``, one cached Query each); controls without findings in the record state are
left out, since they add nothing to the list.

Resource search matches the resource id / ARN the finding lists first, exactly and by prefix:
the prefix is looked up in the ``findings#resource`` aggregate (its sort key is
``<record state>#<resource id>``, so a ``begins_with`` Query returns the matching resource ids in
order, see `ouroboros.aggregates.facets`), and the findings of the first ``TITLE_MAX_KEYS``
matching resources come from ``resource-index``, merged by update time. A text that names a
resource with findings exactly (a pasted ARN) shows that resource only, one Query, with a notice
when others start with it; a text ending in ``*`` always searches by prefix.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from ouroboros.aggregates.facets import RESOURCE_AGGREGATE
from ouroboros.errors import ValidationError
from ouroboros.models import AggregateModel, ControlModel, FindingModel
from ouroboros.models.controls import KIND_CONTROL
from ouroboros.models.findings import ROW_FIELDS, SEVERITY_RANK, title_key
from ouroboros.pagination import QuerySource
from ouroboros.securityhub.catalog import catalog_lookup

RECORD_STATES = ("ACTIVE", "ARCHIVED")
SEVERITIES = tuple(sorted(SEVERITY_RANK, key=lambda s: -SEVERITY_RANK[s]))
COMPLIANCE_STATUSES = ("FAILED", "WARNING", "NOT_AVAILABLE", "PASSED")
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
SORTS = ("-updated", "updated", "-severity", "severity", "-first_observed", "first_observed")
SEARCH_KINDS = ("auto", "control", "resource", "title")
TITLE_MAX_KEYS = 8
MAX_LIMIT = 200

#: The range key of every "updated" order: when a list row last changed, not the re-evaluation
#: time (`ouroboros.models.findings`).
UPDATED_SORT = "changed_at"
#: Filter name -> (index, key attribute), most selective first (the first present is the key).
#: A second filter is a filter expression on the same field in ``list_row`` (`FILTER_FIELDS`):
#: the indexes project nothing else.
FILTERS: dict[str, tuple[str, str]] = {
    "resource": ("resource-index", "g_resource"),
    "control": ("control-index", "g_control"),
    "account": ("account-index", "g_account"),
    "resource_type": ("resource-type-index", "g_resource_type"),
    "product": ("product-index", "g_product"),
    "region": ("region-index", "g_region"),
    "workflow": ("workflow-index", "g_workflow"),
    "compliance": ("compliance-index", "g_compliance"),
    "severity": ("severity-index", "g_severity"),
}
FILTER_FIELDS: dict[str, str] = {
    "resource": "resource_id",
    "control": "control_id",
    "account": "account_id",
    "resource_type": "resource_type",
    "product": "product_name",
    "region": "region",
    "workflow": "workflow_status",
    "compliance": "compliance_status",
    "severity": "severity_label",
}
_STATE_INDEXES = {
    "updated": ("state-updated-index", UPDATED_SORT),
    "severity": ("state-severity-index", "severity_sort"),
    "first_observed": ("state-observed-index", "first_observed_at"),
}
#: What a list row shows (the CSV export's columns): the id and `ROW_FIELDS`, all read from
#: ``list_row``, the one attribute every index projects (`LIST_PROJECTION`): the raw documents
#: and the rest stay behind, and no page reads an item twice.
LIST_ATTRIBUTES = ["finding_id", *ROW_FIELDS]
LIST_PROJECTION = ["finding_id", "list_row"]
_ARN_OR_ID = re.compile(r"^(arn:|[a-z0-9]+-[0-9a-f]{6,}$)|[:/]")
_CONTROL_ID = re.compile(r"^[A-Za-z][A-Za-z0-9-]*\.[0-9A-Za-z.]+$|^[0-9]+(\.[0-9]+)+$")


@dataclass(frozen=True)
class FindingFilters:
    """What the user asked for; empty strings and None mean "any"."""

    record_state: str = "ACTIVE"
    severity: str | None = None
    compliance: str | None = None
    workflow: str | None = None
    account: str | None = None
    region: str | None = None
    control: str | None = None
    resource_type: str | None = None
    product: str | None = None
    resource: str | None = None
    search: str | None = None
    search_in: Literal["auto", "control", "resource", "title"] = "auto"


@dataclass
class FindingPlan:
    """The Query a list runs, said in words for the page and the tests."""

    index: str
    keys: list[str]
    filter_names: list[str]
    sort: str
    notices: list[str] = field(default_factory=list)
    search_kind: str | None = None


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    upper = value.strip().upper().replace(" ", "_")
    if upper not in allowed:
        raise ValidationError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
    return upper


def _text(name: str, value: str) -> str:
    text = value.strip()
    if len(text) > 1024 or any(ord(c) < 32 for c in text):
        raise ValidationError(f"{name} is too long or contains control characters")
    return text


def control_id_canonical(value: str) -> str:
    """A control id in AWS's spelling when the catalog knows it, else as given (trimmed)."""
    known = catalog_lookup(value)
    return known.control_id if known else value.strip()


def _normalized(filters: FindingFilters) -> dict[str, str]:
    """The filters in the spelling the index keys use; raises `ValidationError` on bad values."""
    values: dict[str, str] = {}
    for f in fields(filters):
        raw = getattr(filters, f.name)
        if f.name in ("record_state", "search", "search_in") or not raw or not str(raw).strip():
            continue
        value = str(raw)
        if f.name == "severity":
            values[f.name] = _choice("Severity", value, SEVERITIES)
        elif f.name == "compliance":
            values[f.name] = _choice("Compliance status", value, COMPLIANCE_STATUSES)
        elif f.name == "workflow":
            values[f.name] = _choice("Workflow status", value, WORKFLOW_STATUSES)
        elif f.name == "account":
            account = value.strip()
            if not (account.isdigit() and len(account) == 12):
                raise ValidationError(f"Account must be a 12-digit AWS account id (got {value!r})")
            values[f.name] = account
        elif f.name == "control":
            values[f.name] = control_id_canonical(_text("Control", value))
        else:
            values[f.name] = _text(f.name.replace("_", " ").capitalize(), value)
    return values


_titles_cache: dict[str, tuple[float, list[tuple[str, str]]]] = {}
_TITLES_TTL = 300.0


def control_titles() -> list[tuple[str, str]]:
    """(control id, title) of every control (one Query on ``kind-index``, cached 5 minutes)."""
    table = ControlModel.Meta.table_name
    cached = _titles_cache.get(table)
    if cached and time.monotonic() - cached[0] < _TITLES_TTL:
        return cached[1]
    titles = [
        (item.control_id, item.title or "")
        for item in ControlModel.kind_index.query(
            KIND_CONTROL, attributes_to_get=["control_id", "sk", "kind", "title"]
        )
    ]
    _titles_cache[table] = (time.monotonic(), titles)
    return titles


_finding_titles_cache: dict[tuple[str, str], tuple[float, list[str]]] = {}
_FINDING_TITLES_TTL = 60.0


def finding_titles(record_state: str) -> list[str]:
    """Title keys of the findings without a control in ``record_state``, most findings first.

    One Query on the ``findings#title`` aggregate (buckets whose count is above zero), cached one
    minute like the accounts of the filter form.
    """
    key = (AggregateModel.Meta.table_name, record_state)
    cached = _finding_titles_cache.get(key)
    if cached and time.monotonic() - cached[0] < _FINDING_TITLES_TTL:
        return cached[1]
    prefix = f"{record_state}#"
    counted = [
        (int(item.total or 0), item.bucket.removeprefix(prefix))
        for item in AggregateModel.query("findings#title", AggregateModel.bucket.startswith(prefix))
        if item.value is None and (item.total or 0) > 0
    ]
    titles = [title for _, title in sorted(counted, key=lambda c: (-c[0], c[1]))]
    _finding_titles_cache[key] = (time.monotonic(), titles)
    return titles


_control_counts_cache: dict[tuple[str, str], tuple[float, dict[str, tuple[int, int]]]] = {}


def control_finding_counts(record_state: str) -> dict[str, tuple[int, int]]:
    """Control id -> (FAILED findings, all findings) in ``record_state``, from the aggregates.

    One Query on ``findings#control_failed`` and one on ``findings#control``, cached one minute.
    """
    key = (AggregateModel.Meta.table_name, record_state)
    cached = _control_counts_cache.get(key)
    if cached and time.monotonic() - cached[0] < _FINDING_TITLES_TTL:
        return cached[1]
    prefix = f"{record_state}#"

    def counted(aggregate_id: str) -> dict[str, int]:
        return {
            item.bucket.removeprefix(prefix): int(item.total or 0)
            for item in AggregateModel.query(aggregate_id, AggregateModel.bucket.startswith(prefix))
            if item.value is None and (item.total or 0) > 0
        }

    failed, total = counted("findings#control_failed"), counted("findings#control")
    counts = {c: (failed.get(c, 0), total.get(c, 0)) for c in failed.keys() | total.keys()}
    _control_counts_cache[key] = (time.monotonic(), counts)
    return counts


def control_titles_reset() -> None:
    """Forget the cached control titles, finding titles and counts (tests; catalog changes)."""
    _titles_cache.clear()
    _finding_titles_cache.clear()
    _control_counts_cache.clear()


def _natural(control_id: str) -> list[Any]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", control_id)]


def _search_kind(text: str, requested: str) -> str:
    if requested != "auto":
        if requested not in SEARCH_KINDS:
            raise ValidationError(f"Search in must be one of {', '.join(SEARCH_KINDS)}")
        return requested
    if catalog_lookup(text) or _CONTROL_ID.match(text):
        return "control"
    if " " not in text and _ARN_OR_ID.search(text):
        return "resource"
    return "title"


def _source(index: str, attribute: str, hash_value: str, sort_attr: str, forward: bool) -> Any:
    key_attributes = ("finding_id", attribute, sort_attr)
    return QuerySource(index, hash_value, key_attributes, sort_attr, forward=forward)


def _search_sources(
    state: str, text: str, kind: str, forward: bool, plan: FindingPlan
) -> list[QuerySource]:
    if kind == "control":
        control = control_id_canonical(text)
        plan.keys.append(f"control {control}")
        return [_source("control-index", "g_control", f"{state}#{control}", UPDATED_SORT, forward)]
    if kind == "resource":
        return _resource_sources(state, text, forward, plan)
    words = [w.lower() for w in text.split() if w]
    counts = control_finding_counts(state)
    matches = sorted(
        (
            control_id
            for control_id, title in control_titles()
            if control_id in counts and all(w in f"{control_id} {title}".lower() for w in words)
        ),
        key=lambda control_id: (
            -counts[control_id][0],
            -counts[control_id][1],
            control_id.split(".")[0].lower() not in words,
            _natural(control_id),
        ),
    )
    if len(matches) > TITLE_MAX_KEYS:
        plan.notices.append(
            f"{len(matches)} controls with findings have these words in their title; showing "
            f"the findings of the {TITLE_MAX_KEYS} with the most failed findings. Add words to "
            "narrow the search."
        )
        matches = matches[:TITLE_MAX_KEYS]
    exact = title_key(text)
    titles = [t for t in finding_titles(state) if t != exact and all(w in t for w in words)]
    if len(titles) > TITLE_MAX_KEYS:
        plan.notices.append(
            f"{len(titles)} titles of findings without a control have these words; showing the "
            f"findings of the {TITLE_MAX_KEYS} most common. Add words to narrow the search."
        )
        titles = titles[:TITLE_MAX_KEYS]
    sources = [_source("title-index", "g_title", f"{state}#{exact}", UPDATED_SORT, forward)]
    plan.keys.append(f"title = {exact!r}")
    for title in titles:
        plan.keys.append(f"title = {title!r}")
        sources.append(_source("title-index", "g_title", f"{state}#{title}", UPDATED_SORT, forward))
    for control_id in matches:
        plan.keys.append(f"control {control_id}")
        sources.append(
            _source("control-index", "g_control", f"{state}#{control_id}", UPDATED_SORT, forward)
        )
    return sources


def _resource_sources(state: str, text: str, forward: bool, plan: FindingPlan) -> list[QuerySource]:
    """The resource ``text`` exactly, and the resources whose id starts with it (module doc)."""
    by_prefix = text.endswith("*")
    text = text.rstrip("*") or text
    prefix = f"{state}#{text}"
    resources = [text]
    exact = False
    if len(prefix.encode()) <= 1024:
        # The resource named exactly sorts first among those starting with it: two buckets say
        # whether it exists and whether others follow (a pasted ARN, the usual case); only a
        # prefix search reads on.
        starts = AggregateModel.bucket.startswith(prefix)
        head = [] if by_prefix else list(AggregateModel.query(RESOURCE_AGGREGATE, starts, limit=2))
        named = bool(head) and head[0].bucket == prefix and (head[0].total or 0) > 0
        items = (
            head
            if named
            else AggregateModel.query(RESOURCE_AGGREGATE, starts, limit=4 * TITLE_MAX_KEYS)
        )
        for item in items:
            resource = item.bucket.removeprefix(f"{state}#")
            if item.value is not None or (item.total or 0) <= 0:
                continue
            if resource == text:
                exact = True
            elif resource not in resources:
                resources.append(resource)
    if exact and not by_prefix:
        if len(resources) > 1:
            plan.notices.append(
                f"Showing the findings of {text!r} only; other resources start with it: search "
                f"{text + '*'!r} to include them."
            )
        resources = [text]
    if len(resources) > TITLE_MAX_KEYS:
        plan.notices.append(
            f"More than {TITLE_MAX_KEYS} resources start with {text!r}; showing the findings of "
            f"the first {TITLE_MAX_KEYS}. Type more of the id to narrow the search."
        )
        resources = resources[:TITLE_MAX_KEYS]
    plan.keys.extend(f"resource {r}" for r in resources)
    return [
        _source("resource-index", "g_resource", f"{state}#{r}", UPDATED_SORT, forward)
        for r in resources
    ]


def record_state_of(filters: FindingFilters) -> str:
    """The record state ``filters`` ask for (ACTIVE by default); `ValidationError` if unknown."""
    return _choice("Record state", filters.record_state or "ACTIVE", RECORD_STATES)


def filters_normalized(filters: FindingFilters) -> dict[str, str]:
    """Filter name -> value in the spelling the index keys use (no search, no record state)."""
    return _normalized(filters)


def finding_plan(*, filters: FindingFilters, sort: str) -> tuple[FindingPlan, list[QuerySource]]:
    """The Query (or, for a title search, the few merged Queries) serving ``filters``."""
    state = _choice("Record state", filters.record_state or "ACTIVE", RECORD_STATES)
    if sort not in SORTS:
        raise ValidationError(f"Sort must be one of {', '.join(SORTS)} (got {sort!r})")
    forward = not sort.startswith("-")
    sort_field = sort.lstrip("-")
    values = _normalized(filters)
    search = _text("Search", filters.search or "")
    if not values and not search:
        index, attribute = _STATE_INDEXES[sort_field]
        plan = FindingPlan(index=index, keys=[f"record state {state}"], filter_names=[], sort=sort)
        return plan, [_source(index, "g_state", state, attribute, forward)]
    applied = "updated" if forward else "-updated"
    plan = FindingPlan(index="", keys=[], filter_names=[], sort=applied)
    if sort_field != "updated":
        plan.notices.append(
            f"Sorting by {sort_field.replace('_', ' ')} applies to the unfiltered list; "
            "filtered and searched lists are sorted by last update."
        )
    key_filter: str | None = None
    if search:
        plan.search_kind = _search_kind(search, filters.search_in)
        sources = _search_sources(state, search, plan.search_kind, forward, plan)
    else:
        key_filter = next(name for name in FILTERS if name in values)
        index, attribute = FILTERS[key_filter]
        plan.keys.append(f"{key_filter} {values[key_filter]}")
        key = f"{state}#{values[key_filter]}"
        sources = [_source(index, attribute, key, UPDATED_SORT, forward)]
    condition: Any = None
    for name in FILTERS:
        if name in values and name != key_filter:
            attribute = getattr(FindingModel.list_row, FILTER_FIELDS[name])
            clause = attribute == values[name]
            condition = clause if condition is None else condition & clause
            plan.filter_names.append(name)
    plan.index = ", ".join(sorted({s.index_name or "table" for s in sources}))
    sources = [
        QuerySource(
            s.index_name,
            s.hash_value,
            s.key_attributes,
            s.sort_attribute,
            forward=s.forward,
            filter_condition=condition,
        )
        for s in sources
    ]
    return plan, sources


def finding_scope(filters: FindingFilters, plan: FindingPlan, sources: list[QuerySource]) -> str:
    parts = [
        "findings",
        plan.sort,
        *(f"{s.index_name}={s.hash_value}" for s in sources),
        *plan.filter_names,
    ]
    parts += [f"{f.name}={getattr(filters, f.name)}" for f in fields(filters)]
    return "|".join(parts)
