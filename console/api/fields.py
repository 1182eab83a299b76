"""Serializer fields that accept exactly what the OpenAPI schema says, nothing more.

DRF's fields are lenient (``CharField`` takes ``0`` and makes it ``"0"``, ``IntegerField`` takes
``"5"`` and ``5.0``, ``BooleanField`` takes ``"yes"``); the schema says ``string`` / ``integer`` /
``boolean``, and the fuzzer (schemathesis) rightly reports every difference. Use:

- in JSON bodies: `TextField`, `PatternField`, `StrictIntegerField`, `StrictBooleanField`;
- in query strings (always text): `TextField`, `PatternField`, `QueryIntegerField`,
  `QueryBooleanField`, and
  pass ``request.query_params.dict()`` to the filter serializer (a plain dict, so an empty
  ``?x=`` is a value to validate, not "absent").

`TextField` refuses control characters (they have no place in names and filters, and PostgreSQL
refuses NUL), and says so in the schema as a ``pattern``; it also refuses lone surrogates, which
only an invalid JSON escape can produce.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*$"
#: A cursor `ouroboros.pagination` issues (``base64url(payload).base64url(signature)``): the
#: ``cursor`` of the findings and executions lists.
SIGNED_CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,8000}\.[A-Za-z0-9_-]{1,100}$"
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_DIGITS = re.compile(r"^-?[0-9]{1,18}$")


class TextField(serializers.CharField):
    """A JSON string of printable characters, taken as given (not trimmed)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators.append(
            RegexValidator(PRINTABLE, message="Control characters are not allowed.")
        )

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if _SURROGATE.search(data):  # only an invalid JSON escape yields one
            raise serializers.ValidationError("Lone surrogates are not allowed.")
        return str(super().to_internal_value(data))


class PatternField(TextField):
    """A `TextField` matching ``pattern``, which the schema documents as its ``pattern``.

    Prefer it to DRF's ``RegexField``: Python's ``$`` also matches before a final newline, the
    schema's (ECMA) ``$`` does not; `TextField` refuses the newline, so both agree.
    """

    def __init__(self, pattern: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # First: drf-spectacular documents the first RegexValidator as the schema's pattern.
        self.validators.insert(0, RegexValidator(pattern, message=f"Must match {pattern}."))


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (not a string, a float or a boolean)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class QueryIntegerField(serializers.IntegerField):
    """A query-string integer: optional minus sign and ASCII digits only."""

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str) or not _DIGITS.match(data):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean (``true`` / ``false`` only)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class QueryBooleanField(serializers.BooleanField):
    """A query-string boolean: ``true`` or ``false``."""

    def to_internal_value(self, data: Any) -> bool:
        if data not in ("true", "false"):
            self.fail("invalid", input=data)
        return data == "true"
