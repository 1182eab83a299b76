"""``{% finding_rows page.items %}``: the rows of the findings table, built in one pass.

The findings list is the console's hottest page. As a template loop, its rows were about half of
the page's server time (a dozen variables and filters per row, fifty rows: ~900 node renders);
built here with one escaped format string per row they cost a small fraction of that
(``benchmarks/console.py`` measures the page). Every value is escaped with the standard
library's `html.escape` (the same five characters as Django's, without its lazy-string wrapper);
the links are built from URL-quoted values.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from console.findings.templatetags.console_query import minute
from ouroboros.securityhub.console_links import finding_console_url, resource_console_url

register = template.Library()

_ROW = (
    '<tr>{select}<td><span class="badge sev-{sev}">{sev}</span></td>'
    '<td class="title"><a href="{detail}?id={fid}">{title}</a>{finding_link}</td>'
    "<td>{control}</td>"
    '<td><a href="{account_href}">{account}</a></td>'
    '<td class="nowrap">{region}</td>'
    '<td class="resource"><span class="muted">{rtype}</span><br>'
    '<span class="mono">{resource}</span>{resource_link}</td>'
    '<td><span class="status st-{cstatus}">{compliance}</span></td>'
    "<td>{workflow}</td>"
    '<td class="nowrap">{observed}</td>'
    '<td class="nowrap">{updated}</td></tr>'
)
_NONE = '<span class="muted">—</span>'
#: The selection box of a row, in the bulk form of ``findings/_bulk.html`` (operators only).
_SELECT = (
    '<td class="select"><input type="checkbox" name="id" value="{fid}" form="bulk-form" '
    'aria-label="Select this finding"></td>'
)
_CONSOLE_LINK = (
    ' <a class="console-link" href="{href}" rel="noopener noreferrer" target="_blank" '
    'title="{title}">↗</a>'
)


def _v2_badge(finding: Any) -> str:
    """A "V2" badge on a finding seen in Security Hub V2 (OCSF), with its V2 status."""
    if "ocsf" not in (finding.formats or ()):
        return ""
    status = escape(finding.ocsf_status or "unknown")
    return f' <span class="badge fmt-ocsf" title="Security Hub V2 (OCSF): {status}">V2</span>'


def _console_link(href: str | None, title: str) -> str:
    return _CONSOLE_LINK.format(href=escape(href), title=title) if href else ""


def _account_base(request: Any) -> str:
    """The current query without cursor and account: each row's account link adds its own."""
    params = request.GET.copy()
    params.pop("cursor", None)
    params.pop("account", None)
    encoded = params.urlencode()
    return f"?{encoded}&account=" if encoded else "?account="


@register.simple_tag(takes_context=True)
def finding_rows(context: dict[str, Any], items: list[Any]) -> SafeString:
    """The ``<tr>`` of each finding in ``items`` (list attributes only, see the selector)."""
    detail = reverse("finding_detail")
    controls = reverse("control_list")
    account_base = escape(_account_base(context["request"]))
    selectable = bool(context.get("bulk"))
    rows = []
    for f in items:
        control = _NONE
        if f.control_id:
            href = f"{controls}{escape(quote(f.control_id, safe=''))}/"
            control = f'<a href="{href}">{escape(f.control_id)}</a>'

        rows.append(
            _ROW.format(
                select=_SELECT.format(fid=escape(f.finding_id)) if selectable else "",
                finding_link=_console_link(
                    finding_console_url(finding_id=f.finding_id, region=f.region),
                    "Open in the Security Hub console",
                ),
                resource_link=_console_link(
                    resource_console_url(
                        resource_type=f.resource_type, resource_id=f.resource_id, region=f.region
                    ),
                    "Open the resource in the AWS console",
                ),
                sev=escape(f.severity_label),
                detail=detail,
                fid=escape(quote(f.finding_id, safe="")),
                title=escape(f.title or f.finding_id),
                control=control,
                account_href=account_base + escape(quote(f.account_id, safe="")),
                account=escape(f.account_id),
                region=escape(f.region or "—"),
                rtype=escape(f.resource_type or ""),
                resource=escape(f.resource_id or "—"),
                cstatus=escape(f.compliance_status or "NONE"),
                compliance=escape(f.compliance_status or "—"),
                workflow=escape(f.workflow_status or "—") + _v2_badge(f),
                observed=escape(minute(f.first_observed_at)),
                updated=escape(minute(f.updated_at)),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 (every value above is escaped)
