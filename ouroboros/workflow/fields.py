"""The few ASFF fields the workflow reads, parsed here.

The collectors' ``ouroboros.securityhub.asff`` (control id extraction and the full normalization)
lands in a parallel branch; the integrator swaps `finding_control_id` and `WorkflowFinding` for it
when it does. The rules are the same: the control id is ``Compliance.SecurityControlId``, else
``ProductFields.ControlId``, else the last segment of a standards ``GeneratorId``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ouroboros.errors import ValidationError

_ACCOUNT = re.compile(r"^\d{12}$")
#: ASFF's maximum length of a finding Id.
ID_MAX = 512
_CONTROL = re.compile(r"^[A-Za-z0-9]+\.\d+$")
_GENERATOR = re.compile(r"(?:security-control/|/v/[\d.]+/|/rule/)([A-Za-z0-9]+\.\d+)$")


def finding_control_id(finding: Mapping[str, Any]) -> str | None:
    """The security control id of a control finding, or None (GuardDuty, Inspector...)."""
    compliance = finding.get("Compliance") or {}
    candidate = compliance.get("SecurityControlId") if isinstance(compliance, Mapping) else None
    if not candidate:
        fields = finding.get("ProductFields") or {}
        candidate = fields.get("ControlId") if isinstance(fields, Mapping) else None
    if candidate and _CONTROL.match(str(candidate)):
        return str(candidate)
    match = _GENERATOR.search(str(finding.get("GeneratorId") or ""))
    return match.group(1) if match else None


@dataclass(frozen=True)
class WorkflowFinding:
    """What the workflow needs of a finding (the raw ASFF travels beside it)."""

    id: str
    product_arn: str
    account_id: str
    region: str
    updated_at: str
    control_id: str | None
    workflow_status: str
    compliance_status: str
    record_state: str
    resource_ids: tuple[str, ...]
    #: ``key=value`` of every resource tag.
    tags: frozenset[str]

    @property
    def resource_id(self) -> str | None:
        return self.resource_ids[0] if self.resource_ids else None


def workflow_finding(finding: Mapping[str, Any]) -> WorkflowFinding:
    """Parse one ASFF finding; `ValidationError` naming what is missing."""
    if not isinstance(finding, Mapping):
        raise ValidationError("finding: expected an ASFF object")
    finding_id = str(finding.get("Id") or "")
    account = str(finding.get("AwsAccountId") or "")
    if not finding_id:
        raise ValidationError("finding: missing Id")
    if len(finding_id) > ID_MAX:  # ASFF's limit; the id is part of DynamoDB keys (2 KB max)
        raise ValidationError(f"finding: Id longer than {ID_MAX} characters")
    if not _ACCOUNT.match(account):
        raise ValidationError(f"finding {finding_id}: AwsAccountId {account[:40]!r} is invalid")
    if not isinstance(finding.get("Resources"), list) or not finding["Resources"]:
        raise ValidationError(f"finding {finding_id}: Resources must be a non-empty list")
    if not isinstance(finding.get("UpdatedAt"), str) or not finding["UpdatedAt"]:
        raise ValidationError(f"finding {finding_id}: missing UpdatedAt")
    resources = [r for r in finding["Resources"] if isinstance(r, Mapping)]
    region = finding.get("Region") or next(
        (r.get("Region") for r in resources if r.get("Region")), ""
    )
    tags = frozenset(
        f"{key}={value}"
        for r in resources
        for key, value in (r.get("Tags") or {}).items()
        if isinstance(r.get("Tags"), Mapping)
    )
    return WorkflowFinding(
        id=finding_id,
        product_arn=str(finding.get("ProductArn") or ""),
        account_id=account,
        region=str(region or ""),
        updated_at=str(finding.get("UpdatedAt") or ""),
        control_id=finding_control_id(finding),
        workflow_status=str((finding.get("Workflow") or {}).get("Status") or "NEW"),
        compliance_status=str((finding.get("Compliance") or {}).get("Status") or ""),
        record_state=str(finding.get("RecordState") or "ACTIVE"),
        resource_ids=tuple(str(r["Id"]) for r in resources if r.get("Id")),
        tags=tags,
    )
