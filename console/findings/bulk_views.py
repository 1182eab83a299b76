"""Bulk actions on the findings page: the form's POST and the summary of what happened.

- ``POST /findings/bulk/`` (URL name ``finding_bulk``; operators only, CSRF-protected): the
  form of ``findings/_bulk.html`` under the findings list. ``scope`` is ``selected`` (the
  checked rows, fields ``id``) or ``filter`` (every finding the list's filter matches: the
  list's query string travels in ``query``); ``action`` is one of
  `ouroboros.findings.bulk.BULK_ACTIONS`; ``status`` and ``note`` set the workflow status (the
  note is required, and is the exemption's reason for ``exempt``), ``expires_at`` an
  exemption's expiry (a date, UTC midnight). It calls `console.findings.bulk.finding_bulk` and
  redirects to the summary; a refused request returns to the list with the reason.
- ``GET /findings/bulk/<entry id>/`` (``finding_bulk_summary``; operators): each finding with
  its outcome, read from the action's audit entry.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from console.access.roles import has_role, role_required
from console.audit.models import AuditEntry
from console.executions.actions import finding_page_url
from console.findings.bulk import ACTION_LABELS, AUDIT_ACTION, finding_bulk
from console.findings.forms import FindingFilterForm
from ouroboros.errors import OuroborosError
from ouroboros.findings.bulk import BULK_ACTIONS, MAX_SELECTION, SETTABLE_STATUSES
from ouroboros.findings.selectors import FindingFilters

OUTCOME_LABELS = {
    "started": "Started",
    "updated": "Updated",
    "exempted": "Exempted",
    "skipped": "Skipped",
    "refused": "Refused",
}


class FindingBulkForm(forms.Form):
    """What the bulk form of the findings list posts (see the module docstring)."""

    scope = forms.ChoiceField(choices=[("selected", "Selected"), ("filter", "All matching")])
    action = forms.ChoiceField(choices=[(a, ACTION_LABELS[a]) for a in BULK_ACTIONS])
    status = forms.ChoiceField(
        required=False, choices=[("", "—"), *((s, s.title()) for s in SETTABLE_STATUSES)]
    )
    note = forms.CharField(required=False, max_length=1000, strip=True)
    expires_at = forms.DateField(required=False)
    query = forms.CharField(required=False, max_length=4096)

    def __init__(self, data: QueryDict) -> None:
        super().__init__(data)
        self.finding_ids = [i for i in data.getlist("id") if i][: MAX_SELECTION + 1]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == "selected" and not self.finding_ids:
            raise forms.ValidationError("Tick the findings to act on, or choose all matching.")
        if data.get("action") == "workflow" and not data.get("status"):
            raise forms.ValidationError("Choose the workflow status to set.")
        return data

    def filters(self) -> FindingFilters:
        """The list's filter the ``query`` field carries; `ValidationError` if it is not one."""
        form = FindingFilterForm(QueryDict(self.cleaned_data.get("query") or ""))
        if not form.is_valid():
            raise forms.ValidationError("The list's filter is not valid: apply it again.")
        return form.filters()

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        expires = data.get("expires_at")
        by_filter = data["scope"] == "filter"
        return {
            "action": data["action"],
            "finding_ids": None if by_filter else self.finding_ids,
            "filters": self.filters() if by_filter else None,
            "status": data.get("status") or "",
            "note": data.get("note") or "",
            "expires_at": datetime.combine(expires, time(), tzinfo=UTC) if expires else None,
        }


def bulk_context(request: HttpRequest) -> dict[str, Any] | None:
    """What ``findings/_bulk.html`` shows under the list; None for users who may not act."""
    if not has_role(request.user, "operator"):
        return None
    params = request.GET.copy()
    params.pop("cursor", None)
    return {
        "query": params.urlencode(),
        "cap": f"{MAX_SELECTION:,}",
        # Runs are offered where "Remediate now" is (`CONSOLE_REMEDIATE_ENABLED`).
        "actions": [
            (action, label)
            for action, label in ACTION_LABELS.items()
            if settings.CONSOLE_REMEDIATE_ENABLED or action not in ("dry_run", "remediate")
        ],
        "statuses": SETTABLE_STATUSES,
    }


def _back_to_list(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("query") or ""
    return redirect(f"{reverse('finding_list')}?{query}" if query else reverse("finding_list"))


@require_POST
@role_required("operator")
def finding_bulk_view(request: HttpRequest) -> HttpResponse:
    form = FindingBulkForm(request.POST)
    try:
        if not form.is_valid():
            raise forms.ValidationError([e for errors in form.errors.values() for e in errors])
        _, entry = finding_bulk(request=request, **form.service_arguments())
    except forms.ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back_to_list(request)
    except OuroborosError as exc:
        messages.error(request, str(exc))
        return _back_to_list(request)
    return redirect("finding_bulk_summary", entry_id=entry.pk)


def _member_view(member: dict[str, Any]) -> dict[str, Any]:
    arn = member.get("execution_arn") or ""
    return {
        **member,
        "label": OUTCOME_LABELS.get(str(member.get("outcome")), str(member.get("outcome"))),
        "page_url": finding_page_url(str(member.get("finding_id") or "")),
        "execution_name": arn.rsplit(":", 1)[-1] if arn else "",
    }


@require_safe
@role_required("operator")
def finding_bulk_summary_view(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = AuditEntry.objects.filter(pk=entry_id, action=AUDIT_ACTION).first()
    if entry is None or not isinstance(entry.after, dict):
        raise Http404("No such bulk action")
    after = entry.after
    members = [_member_view(m) for m in after.get("members") or [] if isinstance(m, dict)]
    context = {
        "entry": entry,
        "action_label": ACTION_LABELS.get(str(after.get("action")), str(after.get("action"))),
        "after": after,
        "members": members,
        "counts": sorted((after.get("counts") or {}).items()),
        "cap": after.get("cap") or MAX_SELECTION,
    }
    return render(request, "findings/bulk_summary.html", context)
