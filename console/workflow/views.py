"""Operator actions on findings and executions (POST only, CSRF-protected, audited).

- ``POST /findings/<finding id>/remediate/`` (form field ``dry_run`` = ``1`` for a dry run):
  `remediation_start`; the finding detail page links it as a form with a CSRF token and
  ``next`` = the page to return to.
- ``POST /executions/<execution id>/rollback/``: `execution_rollback`.
- ``GET /notifications/``: the notifications the topic's subscriber delivered (channel names and
  outcomes only: webhook URLs are never part of a delivery record).

Remediate and rollback go through `console.workflow.services` (shared with the API), which audits
them.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from console.access.roles import role_required
from console.workflow import services
from ouroboros.errors import OuroborosError
from ouroboros.notify.delivery import notification_deliveries_list


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next") or ""
    allowed = {request.get_host()}
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=allowed):
        return redirect(target)
    return redirect("home")


@require_POST
@role_required("operator")
def finding_remediate(request: HttpRequest, finding_id: str) -> HttpResponse:
    dry_run = request.POST.get("dry_run") == "1"
    try:
        arn = services.finding_remediate(request=request, finding_id=finding_id, dry_run=dry_run)
    except OuroborosError as exc:
        messages.error(request, str(exc))
        return _back(request)
    messages.success(
        request, f"{'Dry run' if dry_run else 'Remediation'} started: {arn.rsplit(':', 1)[-1]}"
    )
    return _back(request)


@require_POST
@role_required("operator")
def execution_rollback_view(request: HttpRequest, execution_id: str) -> HttpResponse:
    try:
        rollback = services.execution_rollback_audited(request=request, execution_id=execution_id)
    except OuroborosError as exc:
        messages.error(request, str(exc))
        return _back(request)
    messages.success(request, f"Rollback {rollback.status}: {rollback.execution_id}")
    return _back(request)


NOTIFICATIONS_SHOWN = 200


@role_required("viewer")
@require_safe
def notification_list_view(request: HttpRequest) -> HttpResponse:
    deliveries = notification_deliveries_list(limit=NOTIFICATIONS_SHOWN)
    context = {"deliveries": deliveries, "limit": NOTIFICATIONS_SHOWN}
    return render(request, "workflow/notifications.html", context)
