"""Finding provenance: whether a finding may start a remediation at all, whatever it claims.

Any principal allowed ``securityhub:BatchImportFindings`` can import a finding that names a
control (``GeneratorId security-control/S3.2``) and a resource of its choosing; only the
``ProductArn`` tells who produced it. A finding may start a reactor only when:

- its ``ProductArn`` is Security Hub's own,
  ``arn:<partition>:securityhub:<region>::product/aws/securityhub`` (any partition: ``aws``,
  ``aws-us-gov``, ``aws-cn``...), with the ARN's region equal to the finding's ``Region`` when
  the finding has one; or exactly one of the products of ``OUROBOROS_TRUSTED_PRODUCT_ARNS``;
- and its ``AwsAccountId`` is in ``OUROBOROS_ACCOUNT_SCOPE`` (when that is set).

`finding_provenance_problem` says why not (the reason names the product ARN or the account), or
None. The Parse step (`ouroboros.workflow.parse`) records a refused finding as a skipped
execution with that reason whatever started it (event, custom action, operator), and
`ouroboros.workflow.manual.remediation_start` refuses it before starting anything. The finding
itself is still stored and shown: the collectors store every finding.

The "Findings - Imported" rule of ``statemachine/rules.json`` narrows on Security Hub's own
product too (`SECURITY_HUB_PRODUCT_PATTERN`); that is defence in depth, not the check: an event
may carry several findings and the rule matches when any one of them matches.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from ouroboros.config import get_config

#: Security Hub's own product, in any partition and region (group 1: the region).
SECURITY_HUB_PRODUCT = re.compile(
    r"arn:aws(?:-[a-z]+)*:securityhub:([a-z]{2}(?:-[a-z]+)+-\d+)::product/aws/securityhub"
)
#: The EventBridge pattern for Security Hub's own product (``detail.findings.ProductArn``).
SECURITY_HUB_PRODUCT_PATTERN = {"wildcard": "arn:aws*:securityhub:*::product/aws/securityhub"}
#: A product ARN is quoted in a reason up to this length (ASFF allows 2048 characters).
QUOTED_MAX = 300


def _quoted(value: str) -> str:
    return value if len(value) <= QUOTED_MAX else value[:QUOTED_MAX] + "..."


def _product_problem(finding: Mapping[str, Any], trusted: Collection[str]) -> str | None:
    product = finding.get("ProductArn")
    if not isinstance(product, str) or not product.strip():
        return "untrusted product: the finding has no ProductArn"
    product = product.strip()
    if product in trusted:
        return None
    own = SECURITY_HUB_PRODUCT.fullmatch(product)
    if own is None:
        return (
            f"untrusted product {_quoted(product)}: only Security Hub's own findings and "
            "OUROBOROS_TRUSTED_PRODUCT_ARNS are remediated"
        )
    region = finding.get("Region")
    if isinstance(region, str) and region.strip() and region.strip() != own.group(1):
        return (
            f"untrusted product {_quoted(product)}: its region is not the finding's Region "
            f"{_quoted(region.strip())}"
        )
    return None


def finding_provenance_problem(
    finding: Mapping[str, Any],
    *,
    trusted_products: Collection[str] | None = None,
    account_scope: Collection[str] | None = None,
) -> str | None:
    """Why the raw ASFF ``finding`` may not start a remediation (see the module docstring), or
    None. ``trusted_products`` and ``account_scope`` default to the configuration's
    (``OUROBOROS_TRUSTED_PRODUCT_ARNS``, ``OUROBOROS_ACCOUNT_SCOPE``); an empty scope is every
    account."""
    config = get_config()
    trusted = config.trusted_product_arns if trusted_products is None else trusted_products
    scope = config.account_scope if account_scope is None else account_scope
    problem = _product_problem(finding, trusted)
    if problem:
        return problem
    account = finding.get("AwsAccountId")
    if scope and account not in scope:
        return (
            f"account {_quoted(str(account))} is outside the account scope "
            f"(OUROBOROS_ACCOUNT_SCOPE); product {_quoted(str(finding['ProductArn']).strip())}"
        )
    return None
