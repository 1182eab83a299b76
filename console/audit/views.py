"""The audit trail page (admins only): newest first, filters, cursor pages, each target linked to
its page (`console.audit.links`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from console.access.roles import role_required
from console.audit.links import audit_target_links
from console.audit.selectors import audit_list
from ouroboros.errors import ValidationError

_FILTERS = ("action", "actor_name", "target_type", "target_id")


@require_GET
@role_required("admin")
def audit_page(request: HttpRequest) -> HttpResponse:
    filters = {name: request.GET.get(name, "").strip()[:512] or None for name in _FILTERS}
    try:
        page = audit_list(
            cursor=request.GET.get("cursor") or None,
            action=filters["action"],
            actor_name=filters["actor_name"],
            target_type=filters["target_type"],
            target_id=filters["target_id"],
        )
    except ValidationError as exc:
        return render(
            request, "audit/list.html", {"error": str(exc), "filters": filters}, status=400
        )
    context = {"page": page, "rows": audit_target_links(page.entries), "filters": filters}
    return render(request, "audit/list.html", context)
