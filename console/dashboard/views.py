"""Dashboard: posture and remediation charts drawn from aggregates (a few Queries, no counting),
the failing controls' reactor coverage and the exemptions about to expire
(`ouroboros.aggregates.dashboard`), and the findings sync's progress
(`ouroboros.securityhub.collect_checkpoint.sync_progress`)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from console.access.roles import role_required
from console.dashboard.charts import OUTCOME_LABELS, bar_chart, remediation_chart, ttr_chart
from ouroboros.aggregates.dashboard import EXPIRING_DAYS, dashboard_get
from ouroboros.aggregates.remediation import OUTCOMES
from ouroboros.securityhub.collect_checkpoint import sync_progress


def _findings_link(**query: str) -> str:
    return f"{reverse('finding_list')}?{urlencode(query)}"


@role_required("viewer")
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    board = dashboard_get(record_state="ACTIVE", days=30)
    charts = {
        "severity": bar_chart(
            board.by_severity,
            css=lambda s: f"bar sev-{s}",
            href=lambda s: _findings_link(severity=s),
        ),
        "compliance": bar_chart(
            board.by_compliance,
            css=lambda s: f"bar st-{s}",
            href=lambda s: _findings_link(compliance=s),
        ),
        "workflow": bar_chart(
            board.by_workflow,
            css=lambda s: f"bar wf-{s}",
            href=lambda s: _findings_link(workflow=s),
        ),
        "accounts": bar_chart(board.by_account, href=lambda a: _findings_link(account=a)),
        "controls": bar_chart(
            board.top_controls,
            css=lambda c: "bar st-FAILED" if board.controls_basis == "failed" else "bar",
            href=lambda c: reverse("control_detail", args=[c]),
        ),
        "remediations": remediation_chart(board.remediations),
        "ttr": ttr_chart(board.remediations),
    }
    outcome_rows = [(o, OUTCOME_LABELS[o], board.outcomes.get(o, 0)) for o in OUTCOMES]
    context = {
        "board": board,
        "counts": board.totals,
        "charts": charts,
        "outcome_rows": outcome_rows,
        "expiring_days": EXPIRING_DAYS,
        "sync": sync_progress(),
    }
    return render(request, "dashboard/home.html", context)
