"""Reactor parameters: a small JSON Schema subset, validated without third-party libraries.

A reactor's ``params_schema`` is a JSON Schema object. Reactors run in Lambda with nothing but
boto3, so the SDK validates parameters itself, for the subset of keywords below; the Hub and the
meta-tests check that a schema uses only these keywords and is valid JSON Schema (with the
``jsonschema`` library, outside the artifact).

Top-level ``default`` values are applied, so a reactor always sees every declared parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reactor_sdk.errors import ReactorParamsError

#: The JSON Schema keywords the SDK validator understands.
SUPPORTED_KEYWORDS = frozenset(
    {
        "$schema",
        "type",
        "title",
        "description",
        "default",
        "examples",
        "properties",
        "required",
        "additionalProperties",
        "enum",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
    }
)

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list, tuple),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}

EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}


def schema_unsupported_keywords(schema: Mapping[str, Any], path: str = "") -> list[str]:
    """Keywords in ``schema`` (recursively) the SDK validator does not understand."""
    found = [f"{path or '/'}: {key}" for key in schema if key not in SUPPORTED_KEYWORDS]
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, Mapping):
            found += schema_unsupported_keywords(sub, f"{path}/properties/{name}")
    items = schema.get("items")
    if isinstance(items, Mapping):
        found += schema_unsupported_keywords(items, f"{path}/items")
    return found


def _is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, _TYPES.get(name, ()))


def _check(schema: Mapping[str, Any], value: Any, path: str, errors: list[str]) -> None:
    expected = schema.get("type")
    if expected is not None:
        names = expected if isinstance(expected, list) else [expected]
        if not any(_is_type(value, name) for name in names):
            errors.append(f"{path}: expected {' or '.join(names)}, got {type(value).__name__}")
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']!r}")
    if _is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} is less than {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: {value} is more than {schema['maximum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{path}: longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: does not match {schema['pattern']!r}")
    if isinstance(value, list | tuple):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
            errors.append(f"{path}: items are not unique")
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                _check(items, item, f"{path}/{index}", errors)
    if isinstance(value, dict):
        properties: Mapping[str, Any] = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                errors.append(f"{path}: missing required {name!r}")
        for name, item in value.items():
            if name in properties:
                _check(properties[name], item, f"{path}/{name}", errors)
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: unknown parameter {name!r}")


def params_validate(schema: Mapping[str, Any], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` with the schema's top-level defaults applied; `ReactorParamsError` if invalid."""
    if params is not None and not isinstance(params, Mapping):
        raise ReactorParamsError(f"params: expected an object, got {type(params).__name__}")
    values: dict[str, Any] = dict(params or {})
    for name, sub in (schema.get("properties") or {}).items():
        if name not in values and isinstance(sub, Mapping) and "default" in sub:
            values[name] = sub["default"]
    errors: list[str] = []
    _check(schema, values, "params", errors)
    if errors:
        raise ReactorParamsError("; ".join(errors))
    return values
