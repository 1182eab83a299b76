"""Writes of the installed reactors' pages and API: reactor changes (audited).

`reactor_change` is what both the reactor pages and ``/api/v1/reactors`` call to install,
upgrade or uninstall a reactor: one core service, then one entry in the audit trail
(`console.audit.services.audit_record`) with the version and status before and after.

A reactor that declares dangerous actions (only official ones may) is installed or upgraded only
with ``approved_actions`` listing exactly those actions, given by an **admin** (operators may
install everything else): the pages and the API show the list first, the core refuses anything
but the exact list (`ouroboros.reactors.official.approval_problems`), and the audit entry records
which actions the admin approved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from console.access.roles import has_role
from console.audit.services import audit_record
from ouroboros.models import LocalReactorModel
from ouroboros.reactors.services import reactor_install, reactor_uninstall, reactor_upgrade

ReactorAction = Literal["install", "upgrade", "uninstall"]


def _state(item: LocalReactorModel, version: str | None = None) -> dict[str, Any]:
    return {"version": version or item.version, "status": item.status}


def reactor_change(
    *,
    request: HttpRequest,
    action: ReactorAction,
    reactor_id: str,
    version: str | None = None,
    approved_actions: Sequence[str] | None = None,
) -> LocalReactorModel:
    """Install, upgrade or uninstall ``reactor_id`` for the request's user, and audit it.

    Returns the item as the core service left it (for ``uninstall``: as it was). Core errors
    (`ReactorNotFoundError`, `ReactorStateError`, `ReactorApprovalError`...) propagate and
    nothing is audited; approving dangerous actions without the admin role is `PermissionDenied`.
    """
    actor = request.user.get_username()
    approved = sorted(set(approved_actions or []))
    if approved and not has_role(request.user, "admin"):
        raise PermissionDenied("approving dangerous actions requires the admin role")
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    if action == "install":
        item = reactor_install(
            reactor_id=reactor_id, version=version, actor=actor, approved_actions=approved
        )
        after = {**_state(item), "approved_actions": approved}
    elif action == "upgrade":
        item = reactor_upgrade(
            reactor_id=reactor_id, version=version, actor=actor, approved_actions=approved
        )
        before = {"version": item.previous_version}
        after = {**_state(item), "approved_actions": approved}
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
