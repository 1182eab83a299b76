"""IAM policy matching: wildcards, ARNs, policy variables and the Condition element.

The shared half of `emulator.iam_evaluator` (which documents the evaluation as a whole). This
module answers one question per call: does this pattern, ARN or condition block hold for this
request context? Sources, all in the IAM User Guide:

- wildcards and ARN segments: ``reference_policies_elements_resource.html`` ("you can use
  wildcard characters (``*`` and ``?``) within any ARN segment"), matched segment by segment
  (partition, service, region, account, resource), so ``*`` in the region never spans into the
  account and an empty region or account (IAM, S3) matches only an empty one or a ``*``;
- condition operators: ``reference_policies_elements_condition_operators.html``. Several keys
  under one operator, and several operators, are ANDed; several values for one key are ORed (a
  negated operator, e.g. ``StringNotEquals``, holds when the key matches none of them). A key
  missing from the context makes the condition false, except that it is true for a negated
  operator ("If the policy condition requires that the key is not matched, such as StringNotLike
  or ArnNotLike, and the right key is not present, the condition is true"), for every
  ``...IfExists`` operator and for ``ForAllValues:``; ``Null`` tests exactly that presence;
- set operators: ``reference_policies_condition-single-vs-multi-valued-context-keys.html``:
  ``ForAnyValue:`` holds when at least one context value matches, ``ForAllValues:`` when every
  context value does (vacuously true for a missing key). Without one, a context key given as a
  list is read as ForAnyValue for positive operators (and "no value matches" for negated ones);
- policy variables: ``reference_policies_variables.html``. With ``"Version": "2012-10-17"``,
  ``${key}`` in a Resource or a string/ARN condition value is replaced by the context value
  (``${key, 'default'}`` supplies a default; ``${*}``, ``${?}`` and ``${$}`` are the literal
  characters). AWS: "If AWS cannot resolve a variable this might cause the entire statement to be
  invalid" - here a variable whose key is missing (or multivalued) makes its statement not apply
  (`UnresolvedVariable`), so it neither allows nor denies. Under the 2008-10-17 version (the
  default when Version is missing) ``${...}`` is literal text.

Operators: String{,Not}Equals, String{,Not}EqualsIgnoreCase, String{,Not}Like, Numeric{Equals,
NotEquals,LessThan,LessThanEquals,GreaterThan,GreaterThanEquals}, Date{same six}, Bool,
BinaryEquals, IpAddress, NotIpAddress, Arn{,Not}Equals, Arn{,Not}Like (ARN operators all take
wildcards, as AWS documents), each with ``IfExists``, and Null. Anything else is a `PolicyError`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

POLICY_VARIABLES_VERSION = "2012-10-17"
_TOKEN = re.compile(r"\$\{([^}]*)\}|\*|\?|[^$*?]+|\$")
_VARIABLE = re.compile(r"^\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?$")


class PolicyError(ValueError):
    """A malformed policy document; the message names the policy, statement and element."""


class UnresolvedVariable(Exception):
    """Internal: a ``${key}`` whose key is missing or multivalued; its statement does not apply."""


class Context:
    """Request context keys, looked up case-insensitively as AWS does; values kept as strings."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values: dict[str, list[str]] = {}
        for key, value in values.items():
            self._values[key.lower()] = _context_strings(key, value)

    def get(self, key: str) -> list[str] | None:
        """The values of ``key``, or None when it is missing (an empty list counts as missing)."""
        values = self._values.get(key.lower())
        return values or None

    def single(self, key: str) -> str | None:
        values = self.get(key)
        return values[0] if values is not None and len(values) == 1 else None

    def with_defaults(self, defaults: Mapping[str, str]) -> Context:
        """A copy with ``defaults`` added where the caller did not give the key."""
        merged = Context({})
        merged._values = dict(self._values)
        for key, value in defaults.items():
            merged._values.setdefault(key.lower(), [value])
        return merged


def _context_strings(key: str, value: Any) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str | int | float):
        return [str(value)]
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError(
        f"context key {key!r}: a string, bool, number or list of strings, not {value!r}"
    )


# --- wildcard patterns and ARNs -----------------------------------------------------------------


def _variable_value(inner: str, context: Context) -> str:
    if inner.strip() in ("*", "?", "$"):
        return inner.strip()
    match = _VARIABLE.match(inner)
    if match is None:
        raise UnresolvedVariable(inner)
    value = context.single(match.group(1))
    if value is None and match.group(2) is not None:
        value = match.group(2)
    if value is None:
        raise UnresolvedVariable(match.group(1))
    return value


def pattern_regex(
    pattern: str,
    context: Context,
    *,
    variables: bool,
    wildcards: bool = True,
    ignore_case: bool = False,
) -> re.Pattern[str]:
    """``pattern`` as a regex: ``*`` any run, ``?`` one character, ``${key}`` the context value."""
    parts = []
    for token in _TOKEN.finditer(pattern):
        text = token.group(0)
        if token.group(1) is not None and variables:
            parts.append(re.escape(_variable_value(token.group(1), context)))
        elif text == "*" and wildcards:
            parts.append(".*")
        elif text == "?" and wildcards:
            parts.append(".")
        else:
            parts.append(re.escape(text))
    return _compiled("".join(parts), ignore_case)


@lru_cache(maxsize=4096)
def _compiled(source: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(source, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def variables_resolve(patterns: Sequence[str], context: Context) -> None:
    """Raise `UnresolvedVariable` if any pattern has a ``${key}`` the context cannot fill, so a
    statement's fate never depends on the order of its values."""
    for pattern in patterns:
        pattern_regex(pattern, context, variables=True)


def wildcard_matches(
    pattern: str, value: str, context: Context, *, variables: bool, ignore_case: bool = False
) -> bool:
    regex = pattern_regex(pattern, context, variables=variables, ignore_case=ignore_case)
    return regex.fullmatch(value) is not None


def arn_segments(arn: str) -> list[str]:
    """The six colon-separated parts of an ARN (the resource part keeps its colons); colons inside
    ``${...}`` do not split."""
    segments: list[str] = []
    current: list[str] = []
    depth = 0
    for char in arn:
        if char == ":" and depth == 0 and len(segments) < 5:
            segments.append("".join(current))
            current = []
            continue
        depth += 1 if char == "{" else -1 if char == "}" and depth else 0
        current.append(char)
    segments.append("".join(current))
    return segments


def arn_matches(pattern: str, arn: str, context: Context, *, variables: bool) -> bool:
    """Whether ``arn`` matches ``pattern`` (``*`` alone matches anything, even a non-ARN ``*``)."""
    if pattern == "*":
        return True
    wanted, actual = arn_segments(pattern), arn_segments(arn)
    if len(wanted) < 6 or len(actual) < 6:  # not ARN-shaped: compare as a whole
        return wildcard_matches(pattern, arn, context, variables=variables)
    return all(
        wildcard_matches(w, a, context, variables=variables)
        for w, a in zip(wanted, actual, strict=True)
    )


# --- condition operators ------------------------------------------------------------------------

Compare = Callable[[str, str, Context, bool], bool]  # (policy value, context value, context, vars)


def _string(*, like: bool = False, ignore_case: bool = False) -> Compare:
    def compare(wanted: str, actual: str, context: Context, variables: bool) -> bool:
        regex = pattern_regex(
            wanted, context, variables=variables, wildcards=like, ignore_case=ignore_case
        )
        return regex.fullmatch(actual) is not None

    return compare


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _date(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        number = _number(value)
        return None if number is None else datetime.fromtimestamp(number, UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ordered(parse: Callable[[str], Any], test: Callable[[Any, Any], bool]) -> Compare:
    def compare(wanted: str, actual: str, context: Context, variables: bool) -> bool:
        w, a = parse(wanted), parse(actual)
        return w is not None and a is not None and bool(test(a, w))

    return compare


def _bool(wanted: str, actual: str, context: Context, variables: bool) -> bool:
    return wanted.lower() == actual.lower()


def _binary(wanted: str, actual: str, context: Context, variables: bool) -> bool:
    return wanted == actual


def _ip(wanted: str, actual: str, context: Context, variables: bool) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(wanted, strict=False)
    except ValueError:
        return False


def _arn(wanted: str, actual: str, context: Context, variables: bool) -> bool:
    return arn_matches(wanted, actual, context, variables=variables)


def _comparisons(prefix: str, parse: Callable[[str], Any]) -> dict[str, tuple[Compare, bool]]:
    def equal(a: Any, w: Any) -> bool:
        return bool(a == w)

    def less(a: Any, w: Any) -> bool:
        return bool(a < w)

    def less_equal(a: Any, w: Any) -> bool:
        return bool(a <= w)

    def greater(a: Any, w: Any) -> bool:
        return bool(a > w)

    def greater_equal(a: Any, w: Any) -> bool:
        return bool(a >= w)

    return {
        f"{prefix}Equals": (_ordered(parse, equal), False),
        f"{prefix}NotEquals": (_ordered(parse, equal), True),
        f"{prefix}LessThan": (_ordered(parse, less), False),
        f"{prefix}LessThanEquals": (_ordered(parse, less_equal), False),
        f"{prefix}GreaterThan": (_ordered(parse, greater), False),
        f"{prefix}GreaterThanEquals": (_ordered(parse, greater_equal), False),
    }


#: base operator -> (positive comparison, negated?)
OPERATORS: dict[str, tuple[Compare, bool]] = {
    "StringEquals": (_string(), False),
    "StringNotEquals": (_string(), True),
    "StringEqualsIgnoreCase": (_string(ignore_case=True), False),
    "StringNotEqualsIgnoreCase": (_string(ignore_case=True), True),
    "StringLike": (_string(like=True), False),
    "StringNotLike": (_string(like=True), True),
    **_comparisons("Numeric", _number),
    **_comparisons("Date", _date),
    "Bool": (_bool, False),
    "BinaryEquals": (_binary, False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
    "ArnEquals": (_arn, False),
    "ArnNotEquals": (_arn, True),
    "ArnLike": (_arn, False),
    "ArnNotLike": (_arn, True),
}
_TYPED_VALUES: dict[str, Callable[[str], Any]] = {"Numeric": _number, "Date": _date}


@dataclass(frozen=True)
class Operator:
    """One condition operator name, taken apart: ``ForAllValues:StringLikeIfExists``."""

    name: str
    base: str
    set_operator: str | None
    if_exists: bool

    @property
    def negated(self) -> bool:
        return self.base != "Null" and OPERATORS[self.base][1]


def operator_parse(name: str, where: str) -> Operator:
    set_operator, _, rest = name.rpartition(":")
    if set_operator not in ("", "ForAnyValue", "ForAllValues"):
        raise PolicyError(f"{where}: unknown set operator {set_operator!r} in {name!r}")
    base, if_exists = rest, False
    if rest.endswith("IfExists") and rest != "IfExists":
        base, if_exists = rest.removesuffix("IfExists"), True
    if base not in OPERATORS and not (base == "Null" and not if_exists):
        raise PolicyError(f"{where}: unknown condition operator {name!r}")
    return Operator(name, base, set_operator or None, if_exists)


def condition_values(value: Any, where: str) -> list[str]:
    """The policy values of one condition key, as strings (a scalar or a list of scalars)."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise PolicyError(f"{where}: an empty list of values")
    strings = []
    for item in items:
        if isinstance(item, bool):
            strings.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            strings.append(str(item))
        else:
            raise PolicyError(
                f"{where}: condition values must be strings, numbers or booleans, not {item!r}"
                " (resolve CloudFormation intrinsics such as {'Ref': ...} before evaluating)"
            )
    return strings


def conditions_validate(block: Any, where: str) -> None:
    """Raise `PolicyError` unless ``block`` is a well-formed Condition element."""
    if not isinstance(block, Mapping):
        raise PolicyError(f"{where}: Condition must be an object of operators")
    for name, keys in block.items():
        operator = operator_parse(str(name), where)
        if not isinstance(keys, Mapping) or not keys:
            raise PolicyError(f"{where}: {name} must map condition keys to values")
        for key, value in keys.items():
            values = condition_values(value, f"{where}: {name} {key}")
            typed = [t for t in _TYPED_VALUES if operator.base.startswith(t)]
            if operator.base in ("Null", "Bool") and any(
                v.lower() not in ("true", "false") for v in values
            ):
                raise PolicyError(f"{where}: {name} {key} takes 'true' or 'false', not {values}")
            if typed and any(_TYPED_VALUES[typed[0]](v) is None for v in values):
                raise PolicyError(f"{where}: {name} {key}: {values} are not all {typed[0]} values")


def _condition_holds(
    operator: Operator, key: str, wanted: list[str], context: Context, variables: bool
) -> bool:
    actual = context.get(key)
    if operator.base == "Null":
        return any((actual is None) == (w.lower() == "true") for w in wanted)
    if actual is None:
        if operator.if_exists or operator.set_operator == "ForAllValues":
            return True
        return operator.negated and operator.set_operator is None
    compare = OPERATORS[operator.base][0]
    use_variables = variables and operator.base.startswith(("String", "Arn"))
    if use_variables:
        variables_resolve(wanted, context)

    def one(value: str) -> bool:
        matched = any(compare(w, value, context, use_variables) for w in wanted)
        return matched != operator.negated

    if operator.set_operator == "ForAllValues" or (
        operator.set_operator is None and operator.negated
    ):
        return all(one(value) for value in actual)
    return any(one(value) for value in actual)


def condition_failure(block: Mapping[str, Any], context: Context, *, variables: bool) -> str | None:
    """None when every condition in ``block`` holds, else the first that does not ("Op key")."""
    for name, keys in block.items():
        operator = operator_parse(name, "Condition")
        for key, value in keys.items():
            wanted = condition_values(value, f"{name} {key}")
            if not _condition_holds(operator, key, wanted, context, variables):
                return f"{name} {key}"
    return None
