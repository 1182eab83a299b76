"""Installed reactors' pages: the installed list, and install / upgrade / uninstall.

The list is open to viewers; install (posted from the Hub catalog pages of `console.hub`),
upgrade and uninstall need the operator role, are POSTs (CSRF-protected) and are audited: each
calls the one console service `console.reactors.services.reactor_change`. A version with
dangerous actions shows them on its Hub page, each with a checkbox (``approve``) only an admin can
tick; the install posts exactly the ticked ones.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from console.access.roles import role_required
from console.reactors.services import ReactorAction, reactor_change
from ouroboros.errors import OuroborosError
from ouroboros.models import LocalReactorModel
from ouroboros.reactors.services import (
    reactor_approval_required,
    reactor_installed_list,
    reactor_upgrades_available,
)


@role_required("viewer")
@require_safe
def reactors_installed(request: HttpRequest) -> HttpResponse:
    items = reactor_installed_list()
    upgrades = reactor_upgrades_available(items)
    rows = []
    for item in items:
        newer = upgrades.get(item.reactor_id)
        rows.append((item, newer, _approval_required(item, newer)))
    # The page refreshes itself while an install or upgrade is under way (the stream runs it).
    refresh = any(item.status == "installing" for item in items)
    return render(request, "reactors/installed.html", {"rows": rows, "refresh": refresh})


def _approval_required(item: LocalReactorModel, newer: str | None) -> list[str]:
    """What an upgrade (or retry) of ``item`` would need approved; empty when none is offered."""
    if not newer and item.status != "failed":
        return []
    try:
        return reactor_approval_required(reactor_id=item.reactor_id, version=newer or item.version)
    except OuroborosError:  # the version left the Hub: the upgrade itself will say why
        return []


def _act(request: HttpRequest, action: ReactorAction, reactor_id: str) -> HttpResponse:
    """Run one install / upgrade / uninstall request (audited) and go to the installed page."""
    version = request.POST.get("version") or None
    approved = request.POST.getlist("approve")
    try:
        reactor_change(
            request=request,
            action=action,
            reactor_id=reactor_id,
            version=version,
            approved_actions=approved,
        )
    except (OuroborosError, PermissionDenied) as exc:
        messages.error(request, str(exc))
        if action == "install":  # back to the version's page, where the approval list is
            return redirect("reactors:detail", reactor_id=reactor_id)
        return redirect("reactors:installed")
    messages.success(request, f"{reactor_id}: {action} requested; the status below follows it.")
    return redirect("reactors:installed")


@require_POST
@role_required("operator")
def reactor_install_view(request: HttpRequest, reactor_id: str) -> HttpResponse:
    return _act(request, "install", reactor_id)


@require_POST
@role_required("operator")
def reactor_upgrade_view(request: HttpRequest, reactor_id: str) -> HttpResponse:
    return _act(request, "upgrade", reactor_id)


@require_POST
@role_required("operator")
def reactor_uninstall_view(request: HttpRequest, reactor_id: str) -> HttpResponse:
    return _act(request, "uninstall", reactor_id)
