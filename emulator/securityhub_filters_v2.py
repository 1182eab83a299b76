"""GetFindingsV2 ``Filters`` evaluated on OCSF documents (the predicate of one request).

The V2 filter grammar (botocore's ``OcsfFindingFilters``) names OCSF attributes by dotted path
(``resources.owner.account.uid``) and most of them can sit below lists, so the local Security Hub
evaluates filters on the stored documents in Python rather than in SQL: a path yields every value
it reaches through lists, and a filter matches when one of them does ("any element"), as AWS
matches ``resources.uid`` against any resource.

What is served, everything else refused with ``ValidationException`` naming it (never ignored):

- ``CompositeFilters`` (at most 10) combined by ``CompositeOperator`` (AND by default), each
  combining its filters by ``Operator`` (AND by default), ``NestedCompositeFilters`` down to
  three levels; at most 20 filters of each type in one composite filter;
- ``StringFilters`` on every ``OcsfStringField`` of the botocore model: EQUALS, PREFIX, CONTAINS,
  CONTAINS_WORD, NOT_EQUALS, PREFIX_NOT_EQUALS, case-sensitive. As the API reference says,
  positive comparisons on one field are ORed and negative ones ANDed; EQUALS cannot be combined
  with NOT_EQUALS / PREFIX_NOT_EQUALS on one field. NOT_CONTAINS is refused: the reference
  allows it only in V1 automation rules;
- ``DateFilters`` (``OcsfDateField``): ``Start`` / ``End`` (inclusive, ISO 8601) or ``DateRange``
  (``DAYS``; WITHIN by default, or OLDER_THAN); ``NumberFilters`` (``OcsfNumberField``): Gte,
  Lte, Gt, Lt, Eq; ``BooleanFilters``; ``MapFilters`` (``OcsfMapField``; OCSF keeps tags as
  ``{name, value}`` lists): EQUALS, NOT_EQUALS, CONTAINS, NOT_CONTAINS; ``IpFilters`` (``Cidr``).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator.request_limits import service_model
from emulator.securityhub_errors import FindingsV2ValidationError
from emulator.securityhub_findings import timestamp_key

MAX_COMPOSITE_FILTERS = 10
MAX_FILTERS_PER_TYPE = 20
MAX_NESTING = 3

_POSITIVE = {"EQUALS", "PREFIX", "CONTAINS", "CONTAINS_WORD"}
_NEGATIVE = {"NOT_EQUALS", "PREFIX_NOT_EQUALS"}
_OPERATORS = {"AND", "OR"}
_NUMBER_TESTS: dict[str, Callable[[float, float], bool]] = {
    "Gte": lambda value, bound: value >= bound,
    "Lte": lambda value, bound: value <= bound,
    "Gt": lambda value, bound: value > bound,
    "Lt": lambda value, bound: value < bound,
    "Eq": lambda value, bound: value == bound,
}
_COMPOSITE_KEYS = {
    "StringFilters",
    "DateFilters",
    "BooleanFilters",
    "NumberFilters",
    "MapFilters",
    "IpFilters",
    "NestedCompositeFilters",
    "Operator",
}

Predicate = Callable[[dict[str, Any]], bool]


@functools.cache
def filter_fields(kind: str) -> frozenset[str]:
    """The ``FieldName`` values the botocore model allows for a filter type (``String``...)."""
    return frozenset(service_model("securityhub").shape_for(f"Ocsf{kind}Field").enum)


def path_values(document: Any, path: str) -> list[Any]:
    """Every value at dotted ``path`` in ``document``, through lists at any level."""
    values = [document]
    for part in path.split("."):
        found: list[Any] = []
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and item.get(part) is not None:
                    found.append(item[part])
        values = found
    flat: list[Any] = []
    for value in values:
        flat += value if isinstance(value, list) else [value]
    return [value for value in flat if value is not None]


def refuse(message: str) -> FindingsV2ValidationError:
    return FindingsV2ValidationError(f"GetFindingsV2: {message}")


def _field(kind: str, entry: Any, where: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(entry, dict) or not isinstance(entry.get("Filter"), dict):
        raise refuse(f"{where}: each filter is {{FieldName, Filter}}")
    name = entry.get("FieldName")
    if name not in filter_fields(kind):
        raise refuse(f"{where}: unknown {kind} filter field {name!r}")
    return str(name), entry["Filter"]


# -- string filters ------------------------------------------------------------------------------


def _string_test(comparison: str, wanted: str) -> Callable[[str], bool]:
    if comparison in ("EQUALS", "NOT_EQUALS"):
        return lambda value: value == wanted
    if comparison in ("PREFIX", "PREFIX_NOT_EQUALS"):
        return lambda value: value.startswith(wanted)
    if comparison == "CONTAINS":
        return lambda value: wanted in value
    word = re.compile(rf"(?<!\w){re.escape(wanted)}(?!\w)")
    return lambda value: word.search(value) is not None


def _strings(document: dict[str, Any], field: str) -> list[str]:
    return [
        str(v)
        for v in path_values(document, field)
        if isinstance(v, str) or (isinstance(v, int | float) and not isinstance(v, bool))
    ]


def _string_predicates(entries: list[Any], where: str) -> list[Predicate]:
    by_field: dict[str, list[tuple[str, str]]] = {}
    for number, entry in enumerate(entries):
        field, spec = _field("String", entry, f"{where}.StringFilters[{number}]")
        comparison = spec.get("Comparison") or "EQUALS"
        value = spec.get("Value")
        if comparison == "NOT_CONTAINS":
            raise refuse(
                f"{where}: comparison NOT_CONTAINS on {field!r} is not supported by GetFindingsV2 "
                "(only in automation rules V1)"
            )
        if comparison not in _POSITIVE | _NEGATIVE:
            raise refuse(f"{where}: unknown comparison {comparison!r} on {field!r}")
        if not isinstance(value, str) or not value.strip():
            raise refuse(f"{where}: filter on {field!r} needs a non-blank string Value")
        by_field.setdefault(field, []).append((comparison, value))
    predicates = []
    for field, pairs in by_field.items():
        used = {comparison for comparison, _ in pairs}
        if "EQUALS" in used and used & _NEGATIVE:
            raise refuse(
                f"{where}: EQUALS cannot be combined with NOT_EQUALS/PREFIX_NOT_EQUALS on {field!r}"
            )
        positive = [_string_test(c, v) for c, v in pairs if c in _POSITIVE]
        negative = [_string_test(c, v) for c, v in pairs if c in _NEGATIVE]
        predicates.append(_string_field_predicate(field, positive, negative))
    return predicates


def _string_field_predicate(
    field: str, positive: list[Callable[[str], bool]], negative: list[Callable[[str], bool]]
) -> Predicate:
    def test(document: dict[str, Any]) -> bool:
        values = _strings(document, field)
        if positive and not any(t(v) for t in positive for v in values):
            return False
        return not any(t(v) for t in negative for v in values)

    return test


# -- date, number, boolean, map and ip filters ---------------------------------------------------


def date_key(value: Any) -> str | None:
    """The sortable UTC key of an OCSF ``*_dt`` value; None when it is not a timestamp."""
    try:
        return timestamp_key(value)
    except ValueError:
        return None


def _date_bounds(
    spec: dict[str, Any], field: str, where: str, now: datetime
) -> tuple[str | None, str | None, bool]:
    """(lowest, highest, whether the highest is excluded) of a ``DateFilter``."""
    date_range = spec.get("DateRange")
    if date_range is None:
        try:
            low = timestamp_key(spec["Start"]) if spec.get("Start") else None
            high = timestamp_key(spec["End"]) if spec.get("End") else None
        except ValueError as exc:
            raise refuse(f"{where}: {field!r}: {exc}") from exc
        if low is None and high is None:
            raise refuse(f"{where}: date filter on {field!r} needs Start, End or DateRange")
        return low, high, False
    if (
        spec.get("Start")
        or spec.get("End")
        or not isinstance(date_range, dict)
        or not isinstance(date_range.get("Value"), int)
        or date_range.get("Unit", "DAYS") != "DAYS"
        or date_range.get("Comparison", "WITHIN") not in ("WITHIN", "OLDER_THAN")
    ):
        raise refuse(
            f"{where}: DateRange on {field!r} needs Value, Unit DAYS, WITHIN or OLDER_THAN "
            "(and no Start or End)"
        )
    bound = timestamp_key((now - timedelta(days=date_range["Value"])).isoformat())
    if date_range.get("Comparison") == "OLDER_THAN":
        return None, bound, True
    return bound, None, False


def _date_predicate(entry: Any, where: str, now: datetime) -> Predicate:
    field, spec = _field("Date", entry, where)
    low, high, high_excluded = _date_bounds(spec, field, where, now)

    def test(document: dict[str, Any]) -> bool:
        for value in path_values(document, field):
            key = date_key(value)
            if key is None or (low is not None and key < low):
                continue
            if high is not None and (key >= high if high_excluded else key > high):
                continue
            return True
        return False

    return test


def _number_predicate(entry: Any, where: str) -> Predicate:
    field, spec = _field("Number", entry, where)
    bounds: list[tuple[Callable[[float, float], bool], float]] = []
    for key, test in _NUMBER_TESTS.items():
        if spec.get(key) is not None:
            if not isinstance(spec[key], int | float) or isinstance(spec[key], bool):
                raise refuse(f"{where}: {key} on {field!r} is not a number")
            bounds.append((test, float(spec[key])))
    if not bounds:
        raise refuse(f"{where}: number filter on {field!r} needs Gte, Lte, Gt, Lt or Eq")

    def matches(document: dict[str, Any]) -> bool:
        numbers = [
            float(v)
            for v in path_values(document, field)
            if isinstance(v, int | float) and not isinstance(v, bool)
        ]
        return any(all(test(n, bound) for test, bound in bounds) for n in numbers)

    return matches


def _boolean_predicate(entry: Any, where: str) -> Predicate:
    field, spec = _field("Boolean", entry, where)
    if not isinstance(spec.get("Value"), bool):
        raise refuse(f"{where}: boolean filter on {field!r} needs a true/false Value")
    wanted = spec["Value"]
    return lambda document: any(v is wanted for v in path_values(document, field))


def _map_entries(document: dict[str, Any], field: str) -> Iterator[tuple[str, str]]:
    for item in path_values(document, field):
        if isinstance(item, dict) and "name" in item:
            yield str(item["name"]), str(item.get("value", ""))
        elif isinstance(item, dict):
            yield from ((str(k), str(v)) for k, v in item.items())


def _map_predicate(entry: Any, where: str) -> Predicate:
    field, spec = _field("Map", entry, where)
    key, value = spec.get("Key"), spec.get("Value")
    comparison = spec.get("Comparison") or "EQUALS"
    if not isinstance(key, str) or not isinstance(value, str):
        raise refuse(f"{where}: map filter on {field!r} needs Key and Value")
    if comparison not in ("EQUALS", "NOT_EQUALS", "CONTAINS", "NOT_CONTAINS"):
        raise refuse(f"{where}: unknown comparison {comparison!r} on {field!r}")
    contains = comparison.endswith("CONTAINS")
    negative = comparison.startswith("NOT_")

    def test(document: dict[str, Any]) -> bool:
        found = any(
            name == key and (value in text if contains else text == value)
            for name, text in _map_entries(document, field)
        )
        return found != negative

    return test


def _ip_predicate(entry: Any, where: str) -> Predicate:
    field, spec = _field("Ip", entry, where)
    try:
        network = ipaddress.ip_network(str(spec.get("Cidr")), strict=False)
    except ValueError as exc:
        raise refuse(f"{where}: Cidr on {field!r}: {exc}") from exc

    def test(document: dict[str, Any]) -> bool:
        for value in path_values(document, field):
            try:
                if ipaddress.ip_address(str(value)) in network:
                    return True
            except ValueError:
                continue
        return False

    return test


# -- composite filters ---------------------------------------------------------------------------


def _operator(value: Any, where: str, name: str) -> str:
    operator = value or "AND"
    if operator not in _OPERATORS:
        raise refuse(f"{where}: unknown {name} {operator!r} (AND or OR)")
    return str(operator)


def _composite(composite: Any, where: str, depth: int, now: datetime) -> Predicate:
    if depth > MAX_NESTING:
        raise refuse(f"{where}: composite filters nest at most {MAX_NESTING} levels")
    if not isinstance(composite, dict):
        raise refuse(f"{where}: a composite filter is an object")
    unknown = sorted(set(composite) - _COMPOSITE_KEYS)
    if unknown:
        raise refuse(f"{where}: unknown members {', '.join(unknown)}")
    for kind in _COMPOSITE_KEYS - {"Operator"}:
        entries = composite.get(kind) or []
        if not isinstance(entries, list):
            raise refuse(f"{where}.{kind}: a list")
        if len(entries) > MAX_FILTERS_PER_TYPE:
            raise refuse(f"{where}.{kind}: at most {MAX_FILTERS_PER_TYPE} filters")
    predicates = _string_predicates(composite.get("StringFilters") or [], where)
    builders: dict[str, Callable[[Any, str], Predicate]] = {
        "DateFilters": lambda entry, at: _date_predicate(entry, at, now),
        "NumberFilters": _number_predicate,
        "BooleanFilters": _boolean_predicate,
        "MapFilters": _map_predicate,
        "IpFilters": _ip_predicate,
        "NestedCompositeFilters": lambda entry, at: _composite(entry, at, depth + 1, now),
    }
    for kind, build in builders.items():
        for number, entry in enumerate(composite.get(kind) or []):
            predicates.append(build(entry, f"{where}.{kind}[{number}]"))
    return _combine(predicates, _operator(composite.get("Operator"), where, "Operator"))


def _combine(predicates: list[Predicate], operator: str) -> Predicate:
    if not predicates:
        return lambda document: True
    if operator == "OR":
        return lambda document: any(p(document) for p in predicates)
    return lambda document: all(p(document) for p in predicates)


def findings_v2_filter(filters: Any, *, now: datetime | None = None) -> Predicate:
    """The predicate of a GetFindingsV2 ``Filters``; `FindingsV2ValidationError` if not served."""
    if filters is None:
        return lambda document: True
    if not isinstance(filters, dict):
        raise refuse("Filters must be an object")
    unknown = sorted(set(filters) - {"CompositeFilters", "CompositeOperator"})
    if unknown:
        raise refuse(f"Filters: unknown members {', '.join(unknown)}")
    composites = filters.get("CompositeFilters") or []
    if not isinstance(composites, list):
        raise refuse("Filters.CompositeFilters must be a list")
    if len(composites) > MAX_COMPOSITE_FILTERS:
        raise refuse(f"at most {MAX_COMPOSITE_FILTERS} composite filters")
    now = now or datetime.now(UTC)
    predicates = [
        _composite(composite, f"Filters.CompositeFilters[{number}]", 1, now)
        for number, composite in enumerate(composites)
    ]
    operator = _operator(filters.get("CompositeOperator"), "Filters", "CompositeOperator")
    return _combine(predicates, operator)
