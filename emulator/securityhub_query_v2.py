"""GetFindingsV2 requests compiled: filters (`emulator.securityhub_filters_v2`), sort, paging.

- ``SortCriteria``: any string, number or date field the filters take, ``asc`` (default) or
  ``desc``, several entries compared in order; without it, ``finding_info.modified_time_dt``
  desc. A finding without the field sorts first in ascending order, last in descending.
- ``MaxResults`` 1..100 (default 100). The ``NextToken`` carries the last finding's sort key and
  ``metadata.uid``, so a finding that changes while a client pages through moves instead of
  shifting the others, and when it was issued: a store given a token age answers an older one
  with ``ValidationException`` ("NextToken has expired"). ``Scopes`` (organizations) is
  refused: the local hub has no organization.

Anything not served is refused with ``ValidationException`` naming it, never ignored.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.securityhub_filters_v2 import (
    Predicate,
    date_key,
    filter_fields,
    findings_v2_filter,
    path_values,
    refuse,
)

MAX_RESULTS = 100
DEFAULT_SORT = ({"Field": "finding_info.modified_time_dt", "SortOrder": "desc"},)

SortKey = list[Any]


# -- sort and paging -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sort:
    field: str
    kind: str  # String, Number or Date
    descending: bool

    def value(self, document: dict[str, Any]) -> Any:
        for value in path_values(document, self.field):
            if self.kind == "Date":
                key = date_key(value)
                if key is not None:
                    return key
            elif self.kind == "Number":
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return float(value)
            elif isinstance(value, str | int | float):
                return str(value)
        return None


def _sorts(criteria: Any) -> list[_Sort]:
    if criteria is None:
        criteria = list(DEFAULT_SORT)
    if not isinstance(criteria, list):
        raise refuse("SortCriteria must be a list")
    sorts = []
    for number, criterion in enumerate(criteria):
        if not isinstance(criterion, dict):
            raise refuse(f"SortCriteria[{number}]: an object with Field and SortOrder")
        field, order = criterion.get("Field"), criterion.get("SortOrder") or "asc"
        kind = next((k for k in ("Date", "Number", "String") if field in filter_fields(k)), None)
        if kind is None:
            raise refuse(f"SortCriteria[{number}]: cannot sort on unknown field {field!r}")
        if order not in ("asc", "desc"):
            raise refuse(f"SortCriteria[{number}]: unknown SortOrder {order!r} (asc or desc)")
        sorts.append(_Sort(str(field), kind, order == "desc"))
    return sorts


def _compare(left: Any, right: Any) -> int:
    if left == right:
        return 0
    if left is None:
        return -1
    if right is None:
        return 1
    return -1 if left < right else 1


@dataclass(frozen=True)
class FindingsV2Query:
    """A GetFindingsV2 request, compiled (see `findings_v2_query`)."""

    matches: Predicate
    sorts: list[_Sort]
    limit: int
    after: tuple[SortKey, str] | None
    fingerprint: str
    #: When this query's tokens are issued, in the store's clock seconds.
    issued: float = 0.0

    def key(self, document: dict[str, Any]) -> SortKey:
        return [sort.value(document) for sort in self.sorts]

    def compare(self, left: tuple[SortKey, str], right: tuple[SortKey, str]) -> int:
        """The order of two (sort key, metadata uid) pairs; the uid breaks ties, ascending."""
        for sort, a, b in zip(self.sorts, left[0], right[0], strict=True):
            found = _compare(a, b)
            if found:
                return -found if sort.descending else found
        return _compare(left[1], right[1])

    def _compare_items(
        self,
        left: tuple[tuple[SortKey, str], dict[str, Any]],
        right: tuple[tuple[SortKey, str], dict[str, Any]],
    ) -> int:
        return self.compare(left[0], right[0])

    def page(self, findings: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
        """The response for ``findings`` (metadata uid, document), all the store holds."""
        keyed: list[tuple[tuple[SortKey, str], dict[str, Any]]] = [
            ((self.key(doc), uid), doc) for uid, doc in findings if self.matches(doc)
        ]
        keyed.sort(key=functools.cmp_to_key(self._compare_items))
        if self.after is not None:
            after = self.after
            keyed = [item for item in keyed if self.compare(item[0], after) > 0]
        response: dict[str, Any] = {"Findings": [doc for _, doc in keyed[: self.limit]]}
        if len(keyed) > self.limit:
            last_key, last_uid = keyed[self.limit - 1][0]
            data = {"k": last_key, "u": last_uid, "q": self.fingerprint, "t": self.issued}
            response["NextToken"] = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
        return response


def findings_v2_query(
    request: dict[str, Any],
    *,
    now: datetime | None = None,
    clock: float = 0.0,
    token_max_age: float | None = None,
) -> FindingsV2Query:
    """Compile a GetFindingsV2 request; `FindingsV2ValidationError` on what it cannot serve.

    ``clock`` is the store's clock now (tokens carry it); a ``NextToken`` issued more than
    ``token_max_age`` seconds before it has expired.
    """
    if request.get("Scopes"):
        raise refuse("Scopes: the local Security Hub has no AWS Organizations scope")
    matches = findings_v2_filter(request.get("Filters"), now=now)
    sorts = _sorts(request.get("SortCriteria"))
    limit = request.get("MaxResults") or MAX_RESULTS
    if not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
        raise refuse(f"MaxResults must be 1..{MAX_RESULTS}")
    fingerprint = hashlib.sha256(
        json.dumps([request.get("Filters"), request.get("SortCriteria")], sort_keys=True).encode()
    ).hexdigest()[:16]
    return FindingsV2Query(
        matches=matches,
        sorts=sorts,
        limit=limit,
        after=_token(request.get("NextToken"), fingerprint, len(sorts), clock, token_max_age),
        fingerprint=fingerprint,
        issued=clock,
    )


def _token(
    token: Any, fingerprint: str, size: int, clock: float, max_age: float | None
) -> tuple[SortKey, str] | None:
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        key, uid, query = data["k"], data["u"], data["q"]
        issued = float(data.get("t", clock))
    except (ValueError, KeyError, TypeError) as exc:
        raise refuse("NextToken is not valid") from exc
    if query != fingerprint or not isinstance(key, list) or len(key) != size:
        raise refuse("NextToken belongs to a different query")
    if max_age is not None and clock - issued > max_age:
        raise refuse("NextToken has expired")
    return key, str(uid)
