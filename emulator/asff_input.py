"""Fit a finding read from a file to what BatchImportFindings accepts, or say why it cannot be.

Findings found in the wild are not always BatchImportFindings input: EventBridge events add keys
of their own (``approximateArrivalTimestamp``, ``updatedAt`` in Custom Action events), and
hand-written samples give a number as text (``"Normalized": "40"``). `asff_finding_conform` walks
a finding along the input shape of botocore's service model (``AwsSecurityFinding``, recursively)
and returns a copy that fits it:

- a key the shape does not have, at any depth, is dropped, and so is a ``null`` value (absent);
  both are listed (`ConformedFinding.dropped`) so the caller can say so in one line;
- a value of another JSON type than the shape's is converted when the conversion loses nothing:
  an integral number where text is expected (``AwsAccountId: 123456789012`` becomes
  ``"123456789012"``; whether that is a valid account is the limits validator's call), integral
  text or an integral float where an integer is expected (``"40"`` and ``40.0`` become ``40``),
  numeric text where a float is expected, ``"true"`` / ``"false"`` where a boolean is
  (`ConformedFinding.coerced`);
- anything else (an object where a list is expected, ``"high"`` where an integer is) is a problem
  naming the field (`ConformedFinding.problems`): the finding cannot be imported.

`finding_id_problem` refuses an Id holding control characters (NUL, newline...): such an Id cannot
be looked up through a URL and would be written raw into logs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from botocore.model import Shape

from emulator.request_limits import service_model

_INTEGRAL = re.compile(r"[+-]?[0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SHOWN = 60


@dataclass
class ConformedFinding:
    """A finding fitted to the BatchImportFindings input shape, and what fitting it did."""

    finding: Any
    dropped: list[str] = field(default_factory=list)
    coerced: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def finding_shape() -> Shape:
    """botocore's ``AwsSecurityFinding``: one element of BatchImportFindings' ``Findings``."""
    operation = service_model("securityhub").operation_model("BatchImportFindings")
    return operation.input_shape.members["Findings"].member


def asff_finding_conform(finding: Any) -> ConformedFinding:
    """``finding`` fitted to the input shape (see the module docstring); ``finding`` is kept."""
    result = ConformedFinding(finding=None)
    result.finding = _conform(finding, finding_shape(), "", result)
    return result


def finding_id_problem(finding_id: Any) -> str | None:
    """Why ``finding_id`` cannot be a finding Id because of its characters, or None."""
    if isinstance(finding_id, str) and _CONTROL.search(finding_id):
        return f"Id: {_shown(finding_id)} holds control characters (ids are printable text)"
    return None


def _conform(value: Any, shape: Shape, path: str, result: ConformedFinding) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _structure(value, shape, path, result)
    if kind == "list":
        if not isinstance(value, list):
            return _problem(value, "a list", path, result)
        member = shape.member
        return [
            _conform(item, member, f"{path}[{index}]", result) for index, item in enumerate(value)
        ]
    if kind == "map":
        if not isinstance(value, dict):
            return _problem(value, "an object", path, result)
        values = shape.value
        conformed = {}
        for key, item in value.items():
            if item is None:
                result.dropped.append(f"{path}[{key!r}] (null)")
                continue
            conformed[key] = _conform(item, values, f"{path}[{key!r}]", result)
        return conformed
    return _scalar(value, kind, path, result)


def _structure(value: Any, shape: Shape, path: str, result: ConformedFinding) -> Any:
    if not isinstance(value, dict):
        return _problem(value, "an object", path, result)
    members = shape.members
    conformed = {}
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if key not in members:
            result.dropped.append(where)
        elif item is None:
            result.dropped.append(f"{where} (null)")
        else:
            conformed[key] = _conform(item, members[key], where, result)
    return conformed


def _scalar(value: Any, kind: str, path: str, result: ConformedFinding) -> Any:
    converted = _converted(value, kind)
    if converted is _REFUSED:
        return _problem(value, _EXPECTED.get(kind, "text"), path, result)
    if type(converted) is not type(value):
        result.coerced.append(f"{path}: {_shown(value)} -> {_shown(converted)}")
    return converted


_REFUSED = object()
_NUMBERS = ("float", "double")
_EXPECTED = {
    "integer": "an integer",
    "long": "an integer",
    "float": "a number",
    "double": "a number",
    "boolean": "true or false",
}


def _converted(value: Any, kind: str) -> Any:
    """``value`` as the model's ``kind`` wants it, or `_REFUSED` when that would lose anything."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind in ("string", "timestamp", "blob"):
        if isinstance(value, str):
            return value
        return str(value) if is_number and isinstance(value, int) else _REFUSED
    if kind in ("integer", "long"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INTEGRAL.fullmatch(value.strip()):
            return int(value)
        return _REFUSED
    if kind in _NUMBERS:
        if is_number:
            return value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return _REFUSED
            if math.isfinite(number):
                return int(number) if _INTEGRAL.fullmatch(value.strip()) else number
        return _REFUSED
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return _REFUSED
    return value


def _problem(value: Any, expected: str, path: str, result: ConformedFinding) -> Any:
    where = path or "finding"
    result.problems.append(f"{where}: {_json_type(value)} {_shown(value)}, not {expected}")
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "null"


def _shown(value: Any) -> str:
    text = ascii(value) if isinstance(value, str) else repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
