"""``{% query_with %}``: the current page's query string with some parameters changed.

Filters live in the URL so a view can be shared; links that change one filter or the sort keep
the others and drop the cursor (a new view starts on its first page), unless the link sets it.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    params = context["request"].GET.copy()
    if "cursor" not in changes:
        params.pop("cursor", None)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


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
