"""Reactor pages: the Hub catalog and a reactor's detail, installed reactors, and their actions.

Reads are open to viewers; install, upgrade and uninstall need the operator role, are POSTs
(CSRF-protected) and are audited. Each view calls one core service (plus the audit record).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from console.access.roles import role_required
from console.reactors.services import ReactorAction, reactor_change
from ouroboros.errors import OuroborosError
from ouroboros.reactors.catalog import (
    hub_artifact_url,
    hub_catalog_list,
    hub_reactor_manifest,
    hub_reactor_versions,
)
from ouroboros.reactors.services import reactor_installed_list, reactor_upgrades_available


@role_required("viewer")
@require_safe
def hub_catalog(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    page = hub_catalog_list(search=search, cursor=request.GET.get("cursor"), limit=25)
    installed = {item.reactor_id: item for item in reactor_installed_list()}
    rows = [(item, installed.get(item.reactor_id)) for item in page.items]
    context = {"page": page, "rows": rows, "search": search}
    return render(request, "reactors/catalog.html", context)


@role_required("viewer")
@require_safe
def hub_reactor_detail(request: HttpRequest, reactor_id: str) -> HttpResponse:
    versions = hub_reactor_versions(reactor_id=reactor_id)
    if not versions:
        raise Http404(f"no reactor {reactor_id} in the Hub")
    wanted = request.GET.get("version")
    verified = [v for v in versions if v.status == "verified"]
    selected = next((v for v in versions if v.version == wanted), (verified or versions)[0])
    installed = {item.reactor_id: item for item in reactor_installed_list()}.get(reactor_id)
    context = {
        "reactor": selected,
        "manifest": hub_reactor_manifest(selected),
        "versions": versions,
        "verified": verified,
        "installed": installed,
        "download_url": hub_artifact_url(artifact_key=selected.artifact_key)
        if selected.status == "verified"
        else None,
    }
    return render(request, "reactors/detail.html", context)


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
