"""EventBridge event-pattern matching for the local event bus.

The semantics follow Amazon EventBridge (and its open-source matcher, Event Ruler):

- a pattern is a JSON object; every key in it must match (AND); the value of a key is either a
  nested pattern (an object) or a list of matchers, any of which may match (OR); ``$or`` takes a
  list of alternative patterns;
- where the event holds an array, a leaf matches when any element matches; a nested pattern
  matches an array of objects when one element matches the whole nested pattern, so fields are
  never matched across peer elements (``detail.findings[0].Compliance.Status`` and
  ``detail.findings[1].RecordState`` do not combine), as Event Ruler guards against;
- matchers: exact values (strings, numbers compared numerically, booleans, null), ``prefix``,
  ``suffix`` (both optionally ``{"equals-ignore-case": ...}``), ``equals-ignore-case``,
  ``wildcard`` (``*`` only), ``anything-but`` (a value, a list, or a ``prefix`` / ``suffix`` /
  ``equals-ignore-case`` / ``wildcard`` object), ``numeric`` (``["<", 10, ">=", 0]``), ``exists``
  (leaf fields only) and ``cidr``.

`event_pattern_validate` rejects malformed patterns with a clear `ValidationError` before a rule
is stored; `event_pattern_matches` never raises on any event.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from ouroboros.errors import ValidationError

_MISSING = object()
_NUMERIC_OPS = {"<", "<=", "=", ">", ">="}
_OPERATORS = {
    "prefix",
    "suffix",
    "equals-ignore-case",
    "wildcard",
    "anything-but",
    "numeric",
    "exists",
    "cidr",
}


def event_pattern_matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """True when ``event`` matches ``pattern`` (validate the pattern once beforehand)."""
    return _match_object(pattern, event)


def event_pattern_validate(pattern: Any) -> dict[str, Any]:
    """Return ``pattern`` if it is a well-formed EventBridge pattern; raise `ValidationError`."""
    if not isinstance(pattern, dict) or not pattern:
        raise ValidationError("an event pattern is a non-empty JSON object")
    _validate_object(pattern, "")
    return pattern


# -- matching -----------------------------------------------------------------------------------


def _match_object(pattern: dict[str, Any], node: Any) -> bool:
    for key, sub in pattern.items():
        if key == "$or":
            if not any(_match_object(alternative, node) for alternative in sub):
                return False
            continue
        value = node.get(key, _MISSING) if isinstance(node, dict) else _MISSING
        if isinstance(sub, dict):
            if not _match_nested(sub, value):
                return False
        elif not _match_leaf(sub, value):
            return False
    return True


def _match_nested(pattern: dict[str, Any], value: Any) -> bool:
    if isinstance(value, list) and value:
        return any(_match_nested(pattern, item) for item in value)
    if isinstance(value, dict):
        return _match_object(pattern, value)
    # Absent (or not an object): only patterns that accept absence, like {"exists": false}, match.
    return _match_object(pattern, {})


def _scalars(value: Any) -> Iterator[Any]:
    if value is _MISSING or isinstance(value, dict):
        return
    if isinstance(value, list):
        for item in value:
            yield from _scalars(item)
        return
    yield value


def _match_leaf(matchers: list[Any], value: Any) -> bool:
    scalars = list(_scalars(value))
    for matcher in matchers:
        if isinstance(matcher, dict) and "exists" in matcher:
            if bool(matcher["exists"]) == bool(scalars):
                return True
            continue
        if any(_match_one(matcher, scalar) for scalar in scalars):
            return True
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equals(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if _is_number(expected) and _is_number(actual):
        return float(expected) == float(actual)
    if expected is None or actual is None:
        return expected is None and actual is None
    return type(expected) is type(actual) and expected == actual


def _string_test(spec: Any, actual: str, test: str) -> bool:
    if isinstance(spec, dict):
        wanted = spec["equals-ignore-case"].casefold()
        actual = actual.casefold()
    else:
        wanted = spec
    return actual.startswith(wanted) if test == "prefix" else actual.endswith(wanted)


def _wildcard(expression: str, actual: str) -> bool:
    regex = ".*".join(re.escape(part) for part in expression.split("*"))
    return re.fullmatch(regex, actual, flags=re.DOTALL) is not None


def _numeric(conditions: list[Any], actual: Any) -> bool:
    if not _is_number(actual):
        return False
    number = float(actual)
    for op, bound in zip(conditions[::2], conditions[1::2], strict=True):
        bound = float(bound)
        ok = {
            "<": number < bound,
            "<=": number <= bound,
            "=": number == bound,
            ">": number > bound,
            ">=": number >= bound,
        }[op]
        if not ok:
            return False
    return True


def _cidr(network: str, actual: Any) -> bool:
    if not isinstance(actual, str):
        return False
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _match_one(matcher: Any, actual: Any) -> bool:
    if not isinstance(matcher, dict):
        return _equals(matcher, actual)
    ((op, spec),) = matcher.items()
    if op in ("prefix", "suffix"):
        return isinstance(actual, str) and _string_test(spec, actual, op)
    if op == "equals-ignore-case":
        return isinstance(actual, str) and actual.casefold() == spec.casefold()
    if op == "wildcard":
        return isinstance(actual, str) and _wildcard(spec, actual)
    if op == "numeric":
        return _numeric(spec, actual)
    if op == "cidr":
        return _cidr(spec, actual)
    if op == "anything-but":
        return _anything_but(spec, actual)
    return False


def _anything_but(spec: Any, actual: Any) -> bool:
    if isinstance(spec, list):
        return not any(_equals(item, actual) for item in spec)
    if isinstance(spec, dict):
        ((op, inner),) = spec.items()
        if not isinstance(actual, str):
            return False
        values = inner if isinstance(inner, list) else [inner]
        if op == "equals-ignore-case":
            return actual.casefold() not in {v.casefold() for v in values}
        if op == "wildcard":
            return not any(_wildcard(v, actual) for v in values)
        return not any(_string_test(v, actual, op) for v in values)
    return not _equals(spec, actual)


# -- validation ---------------------------------------------------------------------------------


def _validate_object(pattern: dict[str, Any], path: str) -> None:
    for key, sub in pattern.items():
        where = f"{path}.{key}" if path else key
        if key == "$or":
            if not isinstance(sub, list) or len(sub) < 2:
                raise ValidationError(f"{where}: $or takes a list of at least two patterns")
            for alternative in sub:
                if not isinstance(alternative, dict) or not alternative:
                    raise ValidationError(f"{where}: every $or alternative is a JSON object")
                _validate_object(alternative, path)
        elif isinstance(sub, dict):
            if not sub:
                raise ValidationError(f"{where}: an empty object matches nothing")
            _validate_object(sub, where)
        elif isinstance(sub, list):
            if not sub:
                raise ValidationError(f"{where}: a list of matchers cannot be empty")
            for matcher in sub:
                _validate_matcher(matcher, where)
        else:
            raise ValidationError(
                f"{where}: values are wrapped in a list, e.g. [{sub!r}] (got a bare value)"
            )


def _validate_matcher(matcher: Any, where: str) -> None:
    if not isinstance(matcher, dict):
        if isinstance(matcher, list):
            raise ValidationError(f"{where}: nested lists are not matchers")
        return
    if len(matcher) != 1:
        raise ValidationError(f"{where}: a matcher object has exactly one operator")
    ((op, spec),) = matcher.items()
    if op not in _OPERATORS:
        raise ValidationError(f"{where}: unknown operator {op!r}")
    if op in ("prefix", "suffix"):
        _validate_string_spec(spec, where, op, allow_ignore_case=True)
    elif op in ("equals-ignore-case", "wildcard", "cidr"):
        _validate_string_spec(spec, where, op, allow_ignore_case=False)
        if op == "cidr":
            try:
                ipaddress.ip_network(spec, strict=False)
            except ValueError as exc:
                raise ValidationError(f"{where}: bad cidr {spec!r}") from exc
    elif op == "exists":
        if not isinstance(spec, bool):
            raise ValidationError(f"{where}: exists takes true or false")
    elif op == "numeric":
        _validate_numeric(spec, where)
    else:  # anything-but
        _validate_anything_but(spec, where)


def _validate_string_spec(spec: Any, where: str, op: str, *, allow_ignore_case: bool) -> None:
    if isinstance(spec, str):
        return
    if (
        allow_ignore_case
        and isinstance(spec, dict)
        and list(spec) == ["equals-ignore-case"]
        and isinstance(spec["equals-ignore-case"], str)
    ):
        return
    raise ValidationError(f"{where}: {op} takes a string")


def _validate_numeric(spec: Any, where: str) -> None:
    if not isinstance(spec, list) or not spec or len(spec) % 2 or len(spec) > 4:
        raise ValidationError(f"{where}: numeric takes one or two [operator, number] pairs")
    for op, bound in zip(spec[::2], spec[1::2], strict=True):
        if op not in _NUMERIC_OPS or not _is_number(bound):
            raise ValidationError(f"{where}: numeric pair {op!r}, {bound!r} is malformed")


def _validate_anything_but(spec: Any, where: str) -> None:
    if isinstance(spec, list):
        if not spec or any(isinstance(item, dict | list) for item in spec):
            raise ValidationError(f"{where}: anything-but takes a non-empty list of values")
        return
    if isinstance(spec, dict):
        if len(spec) != 1:
            raise ValidationError(f"{where}: anything-but takes one operator")
        ((op, inner),) = spec.items()
        if op not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            raise ValidationError(f"{where}: anything-but does not take {op!r}")
        values = inner if isinstance(inner, list) else [inner]
        if not values or not all(isinstance(v, str) for v in values):
            raise ValidationError(f"{where}: anything-but {op} takes strings")
