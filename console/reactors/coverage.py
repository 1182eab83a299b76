"""The reactor coverage page: per control, whether a Hub reactor fixes it, whether it is
installed here and in which mode; totals by severity and ASR's share.

A plain read-only table over the core selector `ouroboros.reactors.coverage.reactor_coverage`
(the dashboard renders the same aggregate its own way); open to viewers. ``?severity=`` narrows
the table (not the totals) to one severity, ``?missing=1`` to controls without a Hub reactor.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from console.access.roles import role_required
from ouroboros.reactors.coverage import reactor_coverage


@role_required("viewer")
@require_safe
def reactors_coverage(request: HttpRequest) -> HttpResponse:
    report = reactor_coverage()
    severity = request.GET.get("severity", "").upper()
    missing = request.GET.get("missing") == "1"
    rows = [
        c
        for c in report.controls
        if (not severity or c.severity == severity) and not (missing and c.has_reactor)
    ]
    context = {"report": report, "rows": rows, "severity": severity, "missing": missing}
    return render(request, "reactors/coverage.html", context)
