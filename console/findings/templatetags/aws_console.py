"""``{% load aws_console %}``: links into the AWS console (`ouroboros.securityhub.console_links`).

``{% finding_console_link finding_id region %}`` and
``{% resource_console_link resource_type resource_id region %}`` render an external link (or
nothing when there is none); every value is escaped by `format_html`.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ouroboros.securityhub.console_links import finding_console_url, resource_console_url

register = template.Library()

_LINK = '<a class="console-link" href="{}" rel="noopener noreferrer" target="_blank" id="{}">{}</a>'


@register.simple_tag
def finding_console_link(finding_id: str | None, region: str | None) -> SafeString | str:
    href = finding_console_url(finding_id=finding_id or "", region=region)
    if not href:
        return ""
    return format_html(_LINK, href, "finding-console-link", "Open in the Security Hub console ↗")


@register.simple_tag
def resource_console_link(
    resource_type: str | None, resource_id: str | None, region: str | None
) -> SafeString | str:
    href = resource_console_url(resource_type=resource_type, resource_id=resource_id, region=region)
    if not href:
        return ""
    return format_html(
        '<a class="console-link" href="{}" rel="noopener noreferrer" target="_blank">{}</a>',
        href,
        "AWS console ↗",
    )
