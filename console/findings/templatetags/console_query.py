"""``{% query_with %}``: the current page's query string with some parameters changed.

Filters live in the URL so a view can be shared; links that change one filter or the sort keep
the others and drop the cursor (a new view starts on its first page), unless the link sets it.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from console.findings.templatetags.console_time import utc_text

register = template.Library()
SELECTED = mark_safe(" selected")


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    params = context["request"].GET.copy()
    if "cursor" not in changes:
        params.pop("cursor", None)
    if "trail" not in changes:
        params.pop("trail", None)  # the previous pages of the list's pager (a cursor trail)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_link(context: dict[str, Any], field: str, label: str) -> str:
    """A column header link sorting by ``field``: descending first, then flipping direction."""
    current = str(context.get("sort") or "")
    target = field if current == f"-{field}" else f"-{field}"
    arrow = {f"-{field}": " ↓", field: " ↑"}.get(current, "")
    return format_html(
        '<a href="{}" class="{}">{}{}</a>',
        query_with(context, sort=target),
        "sorted" if arrow else "",
        label,
        arrow,
    )


@register.filter
def duration(seconds: float | None) -> str:
    """``3 d 4 h``, ``2 h 5 min``, ``42 s``: a readable duration, or an em dash."""
    if seconds is None:
        return "—"
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


@register.simple_tag
def select_field(field: BoundField) -> str:
    """A ``<select>`` for a choice field, rendered here rather than by the widget templates.

    List pages render a dozen filters per request; Django's template-based widgets cost more
    than the Query behind the page, so the filter forms use this and `text_field`.
    """
    value = field.value()
    if value in (None, "") and field.field.initial is not None:
        value = field.field.initial
    current = "" if value is None else str(value)
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, SELECTED if str(value) == current else "", label)
            for value, label in field.field.choices
        ),
    )
    return format_html(
        '<select name="{}" id="{}">{}</select>', field.html_name, field.id_for_label, options
    )


@register.simple_tag
def text_field(field: BoundField, datalist: str = "") -> str:
    """An ``<input type="text">`` for ``field`` (optionally tied to a ``<datalist>``)."""
    value = "" if field.value() is None else str(field.value())
    return format_html(
        '<input type="text" name="{}" id="{}" value="{}"{}>',
        field.html_name,
        field.id_for_label,
        value,
        format_html(' list="{}"', datalist) if datalist else "",
    )


@register.filter
def minute(timestamp: str | None) -> str:
    """An ISO 8601 timestamp shown to the minute, in UTC: ``2024-05-01 00:00 UTC``."""
    return utc_text(timestamp)
