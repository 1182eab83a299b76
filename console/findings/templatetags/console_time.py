"""``{{ value|utc }}``: the console's one time format, ``2026-12-07 05:43 UTC``.

Every time the console shows goes through this filter (a template builtin, see
``TEMPLATES`` in the settings): datetimes (aware, or naive meaning UTC), dates, and the ISO 8601
strings the tables store (``2024-05-01T00:00:00.000Z``, or with an offset, converted to UTC).
Nothing becomes an em dash; text that is not a time is shown as it is. ``{{ value|utc:"s" }}``
adds the seconds (audit entries, notifications).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django import template

register = template.Library()

_MINUTES = "%Y-%m-%d %H:%M UTC"
_SECONDS = "%Y-%m-%d %H:%M:%S UTC"


def utc_text(value: object, precision: str = "") -> str:
    """``value`` in the console's time format (see the module docstring)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z") and len(text) >= 16 and text[10] == "T" and not precision:
            return f"{text[:10]} {text[11:16]} UTC"  # the common case, without parsing
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.strftime(_SECONDS if precision == "s" else _MINUTES)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@register.filter
def utc(value: object, precision: str = "") -> str:
    """``value`` as ``YYYY-MM-DD HH:MM UTC`` (``utc:"s"``: with seconds), or an em dash."""
    return utc_text(value, precision)
