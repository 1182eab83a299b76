"""The AWS Foundational Security Best Practices control catalog shipped with Ouroboros.

``data/afsbp_controls.json`` is a copy of ``shared/data/afsbp_controls.json``; its ``_source`` key
records where every field came from (Prowler's compliance mapping, enriched from the AWS Security
Hub user guide). It seeds the local runtime and the Hub's control catalog, and resolves control ids
case-insensitively (AWS spells ``Opensearch.1``, Prowler ``OpenSearch.1``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

FSBP_STANDARD_ID = "aws-foundational-security-best-practices/v/1.0.0"
FSBP_STANDARD_ARN = f"arn:aws:securityhub:::standards/{FSBP_STANDARD_ID}"
FSBP_STANDARD_NAME = "AWS Foundational Security Best Practices v1.0.0"


@dataclass(frozen=True)
class CatalogControl:
    """A security control as the catalog describes it."""

    control_id: str
    title: str
    description: str
    severity: str
    service: str
    resource_type: str | None
    remediation_url: str | None = None


@lru_cache(maxsize=1)
def catalog_controls() -> tuple[CatalogControl, ...]:
    """Every control of the shipped catalog, in catalog order."""
    raw = resources.files("ouroboros.securityhub").joinpath("data/afsbp_controls.json").read_text()
    data = json.loads(raw)
    return tuple(
        CatalogControl(
            control_id=item["id"],
            title=item["title"],
            description=item.get("description") or "",
            severity=(item.get("severity") or "MEDIUM").upper(),
            service=item.get("service") or item["id"].split(".")[0],
            resource_type=item.get("resource_type"),
        )
        for item in data["controls"]
    )


@lru_cache(maxsize=1)
def _by_lower_id() -> dict[str, CatalogControl]:
    return {control.control_id.lower(): control for control in catalog_controls()}


def catalog_lookup(control_id: str) -> CatalogControl | None:
    """The catalog entry for ``control_id``, matched case-insensitively, or None."""
    return _by_lower_id().get(control_id.strip().lower())
