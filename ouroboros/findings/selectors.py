"""Reads of findings: the list every findings page and API shows, and one finding in full.

`finding_list` runs the plan of `ouroboros.findings.plan` (one Query on the right index; a title
search, a few merged) through `ouroboros.pagination`, so a page reads about its own size and is
resumed by an opaque, signed cursor. `finding_get` returns one finding with its raw ASFF (for a
finding seen as OCSF only, or whose OCSF document is newer, the ASFF its OCSF converts to).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import QueryError

from ouroboros.errors import NotFoundError, ValidationError
from ouroboros.findings.facets import finding_facets_reset
from ouroboros.findings.items import finding_raw
from ouroboros.findings.plan import (
    COMPLIANCE_STATUSES,
    LIST_PROJECTION,
    MAX_LIMIT,
    RECORD_STATES,
    SEARCH_KINDS,
    SEVERITIES,
    SORTS,
    WORKFLOW_STATUSES,
    FindingFilters,
    FindingPlan,
    finding_plan,
    finding_scope,
)
from ouroboros.findings.plan import control_titles_reset as _control_titles_reset
from ouroboros.models import AggregateModel, FindingModel
from ouroboros.models.findings import item_row_fields
from ouroboros.pagination import query_page
from ouroboros.securityhub.ocsf import OcsfValidationError

__all__ = [
    "COMPLIANCE_STATUSES",
    "RECORD_STATES",
    "SEARCH_KINDS",
    "SEVERITIES",
    "SORTS",
    "WORKFLOW_STATUSES",
    "FindingDetail",
    "FindingFilters",
    "FindingPage",
    "IndexRebuildingError",
    "control_titles_reset",
    "finding_accounts",
    "finding_asff",
    "finding_get",
    "finding_list",
]


class IndexRebuildingError(ValidationError):
    """The index a list reads is being rebuilt (an upgrade recreates it: `deploy.tables`).

    Shown in place of the list, as a bad filter is (it is a `ValidationError` for the pages);
    the API answers 503: the same request works once the index is back.
    """

    status_code = 503


#: What DynamoDB (and moto: "Invalid index") says of a Query on an index that is missing or
#: still backfilling.
_REBUILDING = ("specified index", "backfilling", "Invalid index")


@dataclass
class FindingPage:
    """A page of findings (list attributes only), the next page's cursor and what it cost."""

    items: list[FindingModel]
    next_cursor: str | None
    plan: FindingPlan
    read_count: int
    query_count: int
    partial: bool


@dataclass
class FindingDetail:
    """One finding with its raw ASFF decoded (None if absent or unreadable)."""

    finding: FindingModel
    asff: dict[str, Any] | None
    asff_error: str | None = None


#: A page reads at most this many times its size: when a list's second filter (a filter
#: expression on the first one's index) drops more, the page shows what matched so far and a
#: cursor that continues the search ("partial"), instead of reading on (`ouroboros.pagination`).
READ_BUDGET_FACTOR = 2
#: The same for the batch readers of a whole view (bulk selection, exports), which page on until
#: done: fewer, fuller pages.
BATCH_READ_BUDGET_FACTOR = 20


def finding_list(
    *,
    filters: FindingFilters | None = None,
    sort: str = "-updated",
    cursor: str | None = None,
    limit: int = 50,
    read_budget_factor: int = READ_BUDGET_FACTOR,
    read_already: int = 0,
) -> FindingPage:
    """One page of findings for ``filters`` in ``sort`` order, after ``cursor``.

    The page reads at most ``read_budget_factor`` times ``limit`` items, less the
    ``read_already`` items the page read elsewhere (its facet counters), but always enough
    to fill the page when every item read matches.

    Raises `ValidationError` for a bad filter value, sort or limit, `InvalidCursorError`
    (a `ValidationError`) for a cursor that was altered or belongs to another view, and
    `IndexRebuildingError` while an upgrade recreates the index the list reads.
    """
    filters = filters or FindingFilters()
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
    plan, sources = finding_plan(filters=filters, sort=sort)
    try:
        page = query_page(
            FindingModel,
            sources,
            scope=finding_scope(filters, plan, sources),
            item_key="finding_id",
            limit=limit,
            cursor=cursor or None,
            attributes=LIST_PROJECTION,
            read_budget=max(read_budget_factor * limit - read_already, limit + 1),
        )
    except QueryError as exc:
        if exc.cause_response_code in ("ValidationException", "ResourceNotFoundException") and any(
            words in (exc.cause_response_message or "") for words in _REBUILDING
        ):
            raise IndexRebuildingError(
                f"This list's index ({plan.index}) is being rebuilt after an upgrade: "
                "try again in a few minutes, or use another filter."
            ) from None
        raise
    return FindingPage(
        items=[FindingModel.from_raw_data(item_row_fields(item)) for item in page.items],
        next_cursor=page.next_cursor,
        plan=plan,
        read_count=page.read_count,
        query_count=page.query_count,
        partial=page.partial,
    )


def finding_asff(finding: FindingModel) -> dict[str, Any] | None:
    """The ASFF-shaped document of ``finding`` (`finding_raw`: the stored ASFF, or the
    conversion of its OCSF document), or None if it has neither."""
    data = finding_raw(finding)
    if data is None:
        return None
    return data if isinstance(data, dict) else {"value": data}


def finding_get(*, finding_id: str) -> FindingDetail:
    """A finding with its raw ASFF; `NotFoundError` if there is none with ``finding_id``."""
    finding_id = (finding_id or "").strip()
    if not finding_id or len(finding_id) > 2048:
        raise NotFoundError("No finding id given")
    try:
        finding = FindingModel.get(finding_id)
    except FindingModel.DoesNotExist:
        raise NotFoundError(f"Finding {finding_id} does not exist (or was removed)") from None
    try:
        return FindingDetail(finding=finding, asff=finding_asff(finding))
    except (zlib.error, ValueError) as exc:
        return FindingDetail(finding=finding, asff=None, asff_error=f"unreadable raw ASFF: {exc}")
    except OcsfValidationError as exc:
        return FindingDetail(finding=finding, asff=None, asff_error=f"unreadable raw OCSF: {exc}")


_accounts_cache: dict[tuple[str, str], tuple[float, list[str]]] = {}
_ACCOUNTS_TTL = 60.0


def finding_accounts(*, record_state: str = "ACTIVE") -> list[str]:
    """Accounts with findings in ``record_state`` (``findings#account`` aggregate, cached 1 min)."""
    key = (AggregateModel.Meta.table_name, record_state)
    cached = _accounts_cache.get(key)
    if cached and time.monotonic() - cached[0] < _ACCOUNTS_TTL:
        return cached[1]
    prefix = f"{record_state}#"
    accounts = sorted(
        item.bucket.removeprefix(prefix)
        for item in AggregateModel.query(
            "findings#account", AggregateModel.bucket.startswith(prefix)
        )
        if (item.total or 0) > 0
    )
    _accounts_cache[key] = (time.monotonic(), accounts)
    return accounts


def control_titles_reset() -> None:
    """Forget the cached control titles, accounts and facets (tests; after the catalog changed)."""
    _control_titles_reset()
    _accounts_cache.clear()
    finding_facets_reset()
