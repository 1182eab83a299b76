"""``{% reactor_available control_id assigned %}``: the "Reactor available: X - install and
assign (dry run)" line of the control and finding pages, shown when the control has no reactor
assigned (``assigned`` empty) and the Hub has one (`console.hub.availability`)."""

from __future__ import annotations

from typing import Any

from django import template

from console.hub.availability import hub_reactor_for_control

register = template.Library()


@register.inclusion_tag("hub/_reactor_available.html")
def reactor_available(control_id: str | None, assigned: str | None = None) -> dict[str, Any]:
    if assigned or not control_id:
        return {"reactor": None}
    return {"reactor": hub_reactor_for_control(control_id=control_id), "control_id": control_id}
