"""Executions pages: thin adapters to `ouroboros.executions.selectors`, the rollback action, and
the notifications the workflow sent about executions.

- ``GET /executions/`` and ``GET /executions/<execution id>/``: the list and one execution.
- ``POST /executions/<execution id>/rollback/`` (URL name ``workflow:rollback``): operators only,
  CSRF-protected, audited through `console.executions.services.execution_rollback_audited`; it
  only asks (the workflow runs the rollback) and returns to ``next`` (the page it was posted
  from), which shows the progress.
- An execution's page shows its changes as a before/after diff (`console.executions.changes`),
  "Apply" on a dry run that would change something, "Roll back" on a remediation that can be
  undone, and refreshes itself while the run (or its rollback) is in progress
  (`console.executions.actions`).
- ``GET /notifications/`` (URL name ``workflow:notifications``): the notifications the topic's
  subscriber delivered about executions (channel names and outcomes only: webhook URLs are never
  part of a delivery record), newest first, a page per Query (`ouroboros.notify.delivery`).
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from console.access.redirects import redirect_back
from console.access.roles import role_required
from console.executions import services
from console.executions.actions import REFRESH_SECONDS, execution_actions
from console.executions.changes import changes_view
from console.executions.forms import ExecutionFilterForm
from ouroboros.errors import NotFoundError, OuroborosError, ValidationError
from ouroboros.executions.selectors import execution_get, execution_list
from ouroboros.notify.delivery import notification_list

PAGE_SIZE = 50


@role_required("viewer")
@require_safe
def execution_list_view(request: HttpRequest) -> HttpResponse:
    form = ExecutionFilterForm(request.GET)
    page, error = None, None
    if form.is_valid():
        try:
            page = execution_list(
                filters=form.filters(), cursor=request.GET.get("cursor"), limit=PAGE_SIZE
            )
        except ValidationError as exc:
            error = str(exc)
    context = {"form": form, "page": page, "error": error}
    return render(request, "executions/list.html", context, status=200 if page else 400)


@role_required("viewer")
@require_safe
def execution_detail_view(request: HttpRequest, execution_id: str) -> HttpResponse:
    try:
        execution = execution_get(execution_id=execution_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    context = {
        "execution": execution,
        "actions": execution_actions(request=request, execution=execution),
        "changes": changes_view(execution.changes),
        "refresh_seconds": REFRESH_SECONDS,
        "changes_text": json.dumps(execution.changes, indent=2, default=str)
        if execution.changes
        else "",
        "rollback_text": json.dumps(execution.rollback.as_dict(), indent=2, default=str)
        if execution.rollback
        else "",
    }
    return render(request, "executions/detail.html", context)


@require_POST
@role_required("operator")
def execution_rollback_view(request: HttpRequest, execution_id: str) -> HttpResponse:
    try:
        rollback = services.execution_rollback_audited(request=request, execution_id=execution_id)
    except OuroborosError as exc:
        messages.error(request, str(exc))
        return redirect_back(request)
    messages.success(
        request,
        f"Rollback asked ({rollback.execution_id}): the workflow restores the previous state, "
        "reopens the finding and exempts its resource from auto-remediation.",
    )
    return redirect_back(request)


NOTIFICATIONS_SHOWN = 50


@role_required("viewer")
@require_safe
def notification_list_view(request: HttpRequest) -> HttpResponse:
    try:
        page = notification_list(cursor=request.GET.get("cursor"), limit=NOTIFICATIONS_SHOWN)
    except ValidationError as exc:
        context = {"deliveries": [], "error": str(exc), "limit": NOTIFICATIONS_SHOWN}
        return render(request, "executions/notifications.html", context, status=400)
    context = {"deliveries": page.items, "page": page, "limit": NOTIFICATIONS_SHOWN}
    return render(request, "executions/notifications.html", context)
