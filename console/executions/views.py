"""Executions pages: thin adapters to `ouroboros.executions.selectors`."""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from console.access.roles import role_required
from console.executions.forms import ExecutionFilterForm
from ouroboros.errors import NotFoundError, ValidationError
from ouroboros.executions.selectors import execution_get, execution_list

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
        "changes_text": json.dumps(execution.changes, indent=2, default=str)
        if execution.changes
        else "",
        "rollback_text": json.dumps(execution.rollback.as_dict(), indent=2, default=str)
        if execution.rollback
        else "",
    }
    return render(request, "executions/detail.html", context)
