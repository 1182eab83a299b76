"""Installed reactors' pages: the installed list, and install / upgrade / uninstall.

The list is open to viewers; install (posted from the Hub catalog pages of `console.hub`),
upgrade and uninstall need the operator role, are POSTs (CSRF-protected) and are audited: each
calls the one console service `console.reactors.services.reactor_change`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from console.access.roles import role_required
from console.reactors.services import ReactorAction, reactor_change
from ouroboros.errors import OuroborosError
from ouroboros.reactors.services import reactor_installed_list, reactor_upgrades_available


@role_required("viewer")
@require_safe
def reactors_installed(request: HttpRequest) -> HttpResponse:
    items = reactor_installed_list()
    upgrades = reactor_upgrades_available(items)
    context = {"rows": [(item, upgrades.get(item.reactor_id)) for item in items]}
    return render(request, "reactors/installed.html", context)


def _act(request: HttpRequest, action: ReactorAction, reactor_id: str) -> HttpResponse:
    """Run one install / upgrade / uninstall request (audited) and go to the installed page."""
    version = request.POST.get("version") or None
    try:
        reactor_change(request=request, action=action, reactor_id=reactor_id, version=version)
    except OuroborosError as exc:
        messages.error(request, str(exc))
        return redirect("reactors:installed" if action != "install" else "reactors:hub")
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
