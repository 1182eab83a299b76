"""Writes of the installed reactors' pages and API: reactor changes (audited).

`reactor_change` is what both the reactor pages and ``/api/v1/reactors`` call to install,
upgrade or uninstall a reactor: one core service, then one entry in the audit trail
(`console.audit.services.audit_record`) with the version and status before and after.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest

from console.audit.services import audit_record
from ouroboros.models import LocalReactorModel
from ouroboros.reactors.services import reactor_install, reactor_uninstall, reactor_upgrade

ReactorAction = Literal["install", "upgrade", "uninstall"]


def _state(item: LocalReactorModel, version: str | None = None) -> dict[str, Any]:
    return {"version": version or item.version, "status": item.status}


def reactor_change(
    *, request: HttpRequest, action: ReactorAction, reactor_id: str, version: str | None = None
) -> LocalReactorModel:
    """Install, upgrade or uninstall ``reactor_id`` for the request's user, and audit it.

    Returns the item as the core service left it (for ``uninstall``: as it was). Core errors
    (`ReactorNotFoundError`, `ReactorStateError`...) propagate and nothing is audited.
    """
    actor = request.user.get_username()
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    if action == "install":
        item = reactor_install(reactor_id=reactor_id, version=version, actor=actor)
        after = _state(item)
    elif action == "upgrade":
        item = reactor_upgrade(reactor_id=reactor_id, version=version, actor=actor)
        before, after = {"version": item.previous_version}, _state(item)
    else:
        item = reactor_uninstall(reactor_id=reactor_id, actor=actor)
        before = _state(item)
    audit_record(
        request=request,
        action=f"reactor.{action}",
        target_type="reactor",
        target_id=reactor_id,
        before=before,
        after=after,
    )
    return item
