"""Hub catalog pages (viewers): the catalog (search, cursor pages) and one reactor's detail.

Both show whether the reactor is installed in this account, and offer the install form to
operators; the install itself is `console.reactors.views.reactor_install_view`.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from console.access.roles import role_required
from ouroboros.pagination import InvalidCursorError
from ouroboros.reactors.catalog import (
    hub_artifact_url,
    hub_catalog_list,
    hub_reactor_manifest,
    hub_reactor_versions,
)
from ouroboros.reactors.dangerous_actions import manifest_dangerous_actions
from ouroboros.reactors.services import reactor_installed_list


@role_required("viewer")
@require_safe
def hub_catalog(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    try:
        page = hub_catalog_list(search=search, cursor=request.GET.get("cursor"), limit=25)
    except InvalidCursorError as exc:
        context = {"page": None, "rows": [], "search": search, "error": str(exc)}
        return render(request, "hub/catalog.html", context, status=400)
    installed = {item.reactor_id: item for item in reactor_installed_list()}
    rows = [(item, installed.get(item.reactor_id)) for item in page.items]
    context = {"page": page, "rows": rows, "search": search}
    return render(request, "hub/catalog.html", context)


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
        # Refreshes itself while the Hub verifies this version or this account installs it.
        "refresh": selected.status == "pending"
        or (installed is not None and installed.status == "installing"),
        "approval_required": manifest_dangerous_actions(hub_reactor_manifest(selected)),
        "download_url": hub_artifact_url(artifact_key=selected.artifact_key)
        if selected.status == "verified"
        else None,
    }
    return render(request, "hub/detail.html", context)
