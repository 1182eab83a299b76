"""Findings pages: thin adapters from the URL query to `ouroboros.findings.selectors`, and the
"Remediate now" action.

- ``GET /findings/`` and ``GET /findings/detail/?id=``: the list and one finding.
- ``POST /findings/<finding id>/remediate/`` (form field ``dry_run`` = ``1`` for a dry run; URL
  name ``workflow:remediate``): operators only, CSRF-protected, audited through
  `console.findings.services.finding_remediate` (shared with the API); the finding detail page
  links it as a form with a CSRF token and ``next`` = the finding's page, where it returns with
  ``since`` (the time of the request) so that the page waits for the run and shows its progress.
- The finding's page is the remediation loop (`console.findings.loop`): "Dry run", its
  before/after diff, "Apply", the progress, "Roll back", the exemption a rollback leaves.

A finding id holding control characters (NUL, newline...) names no finding (Security Hub ids are
printable): both answer 404 before any lookup, and the id is never echoed or logged raw.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST, require_safe

from console.access.redirects import redirect_back
from console.access.roles import has_role, role_required
from console.executions.actions import REFRESH_SECONDS, finding_page_url
from console.findings import services
from console.findings.bulk_views import bulk_context
from console.findings.forms import SEARCH_LABELS, SORT_LABELS, FindingFilterForm
from console.findings.list_extras import finding_list_extras, list_counts
from console.findings.loop import finding_loop
from ouroboros.errors import NotFoundError, OuroborosError, ValidationError
from ouroboros.executions.selectors import ExecutionFilters, execution_list
from ouroboros.executions.services import now_iso
from ouroboros.findings.selectors import (
    IndexRebuildingError,
    finding_accounts,
    finding_get,
    finding_list,
)
from ouroboros.securityhub.catalog import catalog_controls

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _printable_finding_id(finding_id: str) -> str:
    """``finding_id``, or 404 when it holds control characters (see the module docstring)."""
    if _CONTROL_CHARACTERS.search(finding_id):
        raise Http404("A finding id is printable text")
    return finding_id


def _options(values: list[str]) -> SafeString:
    return format_html_join("", '<option value="{}">', ((v,) for v in values))


@lru_cache(maxsize=1)
def _control_options() -> SafeString:
    return _options([c.control_id for c in catalog_controls()])


@role_required("viewer")
@require_safe
def finding_list_view(request: HttpRequest) -> HttpResponse:
    form = FindingFilterForm(request.GET)
    page, counts, filters, error, status = None, None, None, None, 400
    if form.is_valid():
        filters, size = form.filters(), form.cleaned_data["size"]
        try:
            counts = list_counts(request, filters, form.cleaned_data.get("group") or "", size)
            if not counts.replaces_rows:  # groups replace the rows: no findings to read
                page = finding_list(
                    filters=filters,
                    sort=form.sort_order(),
                    cursor=request.GET.get("cursor"),
                    limit=size,
                    read_already=counts.items_read,
                )
        except IndexRebuildingError as exc:  # an upgrade rebuilds the index: try again later
            error, status, counts = str(exc), 503, None
        except ValidationError as exc:
            error, counts = str(exc), None
    listed = page is not None or (counts is not None and counts.replaces_rows)
    context = {
        "form": form,
        "page": page,
        "listed": listed,
        "error": error,
        "sort": form.sort_order() if form.is_valid() else "-updated",
        "sort_labels": SORT_LABELS,
        "search_labels": SEARCH_LABELS,
        "account_options": _options(
            finding_accounts(record_state=request.GET.get("record_state") or "ACTIVE")
        ),
        "control_options": _control_options(),
        "bulk": bulk_context(request),
        **finding_list_extras(request, counts, page, filters if listed else None),
    }
    return render(request, "findings/list.html", context, status=200 if listed else status)


def _remediate_url(request: HttpRequest, finding_id: str) -> str | None:
    """Where "Remediate now" posts, or None: the workflow is off, absent, or the user a viewer."""
    if not settings.CONSOLE_REMEDIATE_ENABLED or not has_role(request.user, "operator"):
        return None
    try:
        return reverse("workflow:remediate", args=[finding_id])
    except NoReverseMatch:
        return None


@role_required("viewer")
@require_safe
def finding_detail_view(request: HttpRequest) -> HttpResponse:
    try:
        detail = finding_get(finding_id=_printable_finding_id(request.GET.get("id", "")))
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    history = execution_list(filters=ExecutionFilters(finding_id=detail.finding.finding_id))
    recommendation = ((detail.asff or {}).get("Remediation") or {}).get("Recommendation") or {}
    url = str(recommendation.get("Url") or "")
    loop = finding_loop(
        request=request,
        control_id=detail.finding.control_id,
        asff=detail.asff,
        history=history.items,
        since=request.GET.get("since"),
    )
    context = {
        "loop": loop,
        "refresh_seconds": REFRESH_SECONDS,
        "page_url": finding_page_url(detail.finding.finding_id),
        "recommendation_text": recommendation.get("Text"),
        "recommendation_url": url if url.startswith("https://") else None,
        "finding": detail.finding,
        "asff": detail.asff or {},
        "asff_text": json.dumps(detail.asff, indent=2) if detail.asff else "",
        "asff_error": detail.asff_error,
        "history": history,
        "remediate_url": _remediate_url(request, detail.finding.finding_id),
    }
    return render(request, "findings/detail.html", context)


def _back_to_progress(request: HttpRequest, since: str) -> HttpResponse:
    """Back to ``next`` (the finding's page) with ``since``, so that it waits for the run."""
    target = request.POST.get("next") or ""
    if not target or not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect_back(request)
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "since"]
    query.append(("since", since))
    return redirect(urlunsplit(parts._replace(query=urlencode(query))))


@require_POST
@role_required("operator")
def finding_remediate_view(request: HttpRequest, finding_id: str) -> HttpResponse:
    dry_run = request.POST.get("dry_run") == "1"
    finding_id = _printable_finding_id(finding_id)
    since = now_iso()
    try:
        arn = services.finding_remediate(request=request, finding_id=finding_id, dry_run=dry_run)
    except OuroborosError as exc:
        messages.error(request, str(exc))
        return redirect_back(request)
    messages.success(
        request,
        f"{'Dry run' if dry_run else 'Remediation'} started (workflow run "
        f"{arn.rsplit(':', 1)[-1]}): its progress and result show on this page.",
    )
    return _back_to_progress(request, since)
