"""ASFF (AWS Security Finding Format) findings, parsed into one typed, normalized shape.

`asff_parse` accepts every shape Security Hub emits: consolidated control findings, standard-
specific ones (FSBP, CIS 1.2.0 rulesets, CIS 1.4.0, PCI DSS, NIST, Control Tower), older findings
without ``Compliance.SecurityControlId``, and findings of other products (GuardDuty, Inspector)
that belong to no control. The rules, in order, with the field that wins first:

- control id: ``Compliance.SecurityControlId``; a ``security-control/<id>`` GeneratorId; the
  standard-specific GeneratorId through the mapping table (`ouroboros.securityhub.control_ids`);
  ``ProductFields.StandardsArn`` (or ``StandardsGuideArn``) + ``ControlId`` / ``RuleId`` through
  the same table; otherwise none. The standard control id is ``ProductFields.ControlId``, else
  ``RuleId``, else the last segment of a standard-specific GeneratorId.
- region: ``Region``, else the region in ``ProductArn``, else the first resource's ``Region``.
- severity: ``Severity.Label``, else ``Severity.Normalized``, else ``Severity.Product`` (0-100,
  by the ASFF ranges), else ``FindingProviderFields.Severity.Label``.
- workflow status: ``Workflow.Status``, else the deprecated ``WorkflowState`` mapped as Security
  Hub maps it (ASSIGNED / IN_PROGRESS -> NOTIFIED, DEFERRED -> SUPPRESSED).
- record state: ``RecordState`` (ACTIVE when absent).
- product name: ``ProductName``, else ``ProductFields."aws/securityhub/ProductName"``, else the
  last segment of ``ProductArn``.
- timestamps become UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ``, so they sort as strings in index keys.
- resource tags: ``key=value`` of every ``Resources[].Tags`` entry (the workflow's exemptions).

Malformed input raises `AsffValidationError` naming the field; nothing is guessed for the fields
every finding must have (Id, ProductArn, GeneratorId, AwsAccountId, CreatedAt, UpdatedAt, Title,
Resources with Type and Id, and some form of Severity).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ouroboros.errors import ValidationError
from ouroboros.securityhub.control_ids import (
    SECURITY_CONTROL_PREFIX,
    control_id_resolve,
    security_control_id,
    standard_generator_id,
)

if TYPE_CHECKING:
    from ouroboros.securityhub.ocsf import OcsfIdentity

#: The two finding formats (``NormalizedFinding.source_format``; `ouroboros.securityhub.ocsf`).
FORMAT_ASFF = "asff"
FORMAT_OCSF = "ocsf"

SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
COMPLIANCE_STATUSES = ("PASSED", "WARNING", "FAILED", "NOT_AVAILABLE")
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
RECORD_STATES = ("ACTIVE", "ARCHIVED")

#: Deprecated ``WorkflowState`` -> ``Workflow.Status``, as Security Hub maps them.
LEGACY_WORKFLOW = {
    "NEW": "NEW",
    "ASSIGNED": "NOTIFIED",
    "IN_PROGRESS": "NOTIFIED",
    "DEFERRED": "SUPPRESSED",
    "RESOLVED": "RESOLVED",
}

_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
_ACCOUNT = re.compile(r"^\d{12}$")
#: ASFF's maximum length of a finding Id.
ID_MAX = 512


class AsffValidationError(ValidationError):
    """An ASFF finding lacks a required field or has a malformed one (``field`` names it)."""

    def __init__(self, field: str, problem: str, finding_id: str | None = None) -> None:
        self.field = field
        self.finding_id = finding_id
        where = f" (finding {finding_id})" if finding_id else ""
        super().__init__(f"ASFF field {field}: {problem}{where}")


@dataclass(frozen=True, slots=True)
class NormalizedFinding:
    """A finding's fields as Ouroboros stores and filters them, plus the ASFF it came from."""

    finding_id: str
    product_arn: str
    product_name: str | None
    generator_id: str
    control_id: str | None
    standard_control_id: str | None
    title: str
    account_id: str
    region: str | None
    severity_label: str
    compliance_status: str | None
    workflow_status: str | None
    record_state: str
    resource_type: str | None
    resource_id: str | None
    resource_ids: tuple[str, ...]
    created_at: str
    first_observed_at: str | None
    updated_at: str
    raw: Mapping[str, Any]
    #: ``key=value`` of every tag of every resource (exemptions by tag match these).
    resource_tags: frozenset[str] = frozenset()
    #: An OCSF finding's V2 identity and status (None for ASFF); ``raw`` is then its ASFF-shaped
    #: conversion and ``ocsf_raw`` the document as received (`ouroboros.securityhub.ocsf`).
    ocsf: OcsfIdentity | None = None
    ocsf_raw: Mapping[str, Any] | None = None

    @property
    def is_active(self) -> bool:
        return self.record_state == "ACTIVE"

    @property
    def source_format(self) -> str:
        """`FORMAT_OCSF` for a finding parsed from OCSF, else `FORMAT_ASFF`."""
        return FORMAT_OCSF if self.ocsf is not None else FORMAT_ASFF


def _text(finding: Mapping[str, Any], field: str, finding_id: str | None) -> str:
    value = finding.get(field)
    if value is None:
        raise AsffValidationError(field, "missing", finding_id)
    if not isinstance(value, str) or not value.strip():
        raise AsffValidationError(field, "must be a non-empty string", finding_id)
    return value.strip()


def _optional_text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _map(value: Any, field: str, finding_id: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AsffValidationError(field, "must be an object", finding_id)
    return value


def asff_timestamp(value: Any, field: str, finding_id: str | None = None) -> str:
    """An ISO 8601 timestamp as UTC ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (sortable as a string)."""
    if not isinstance(value, str) or not value.strip():
        raise AsffValidationError(field, "missing", finding_id)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise AsffValidationError(
            field, f"not an ISO 8601 timestamp: {value!r}", finding_id
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


def _label_from_score(score: Any) -> str | None:
    if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 100:
        return None
    if score == 0:
        return "INFORMATIONAL"
    if score < 40:
        return "LOW"
    if score < 70:
        return "MEDIUM"
    return "HIGH" if score < 90 else "CRITICAL"


def _severity(finding: Mapping[str, Any], finding_id: str) -> str:
    severity = _map(finding.get("Severity"), "Severity", finding_id)
    label = severity.get("Label")
    if isinstance(label, str) and label.strip():
        label = label.strip().upper()
        if label not in SEVERITY_LABELS:
            raise AsffValidationError("Severity.Label", f"unknown label {label!r}", finding_id)
        return label
    derived = _label_from_score(severity.get("Normalized")) or _label_from_score(
        severity.get("Product")
    )
    if derived:
        return derived
    provider = _map(finding.get("FindingProviderFields"), "FindingProviderFields", finding_id)
    provider_severity = _map(provider.get("Severity"), "FindingProviderFields.Severity", finding_id)
    provider_label = _optional_text(provider_severity.get("Label"))
    if provider_label and provider_label.upper() in SEVERITY_LABELS:
        return provider_label.upper()
    raise AsffValidationError("Severity", "missing (no Label, Normalized or Product)", finding_id)


def _enum(value: Any, field: str, allowed: tuple[str, ...], finding_id: str) -> str | None:
    text = _optional_text(value)
    if text is None:
        return None
    text = text.upper()
    if text not in allowed:
        raise AsffValidationError(field, f"unknown value {text!r}", finding_id)
    return text


def _workflow(finding: Mapping[str, Any], finding_id: str) -> str | None:
    workflow = _map(finding.get("Workflow"), "Workflow", finding_id)
    status = _enum(workflow.get("Status"), "Workflow.Status", WORKFLOW_STATUSES, finding_id)
    if status:
        return status
    legacy = _optional_text(finding.get("WorkflowState"))
    return LEGACY_WORKFLOW.get(legacy.upper()) if legacy else None


def _region_in_arn(arn: str) -> str | None:
    # Tolerates the AWS docs' "arn:aws::securityhub:..." quirk by looking at every part.
    return next((part for part in arn.split(":")[2:6] if _REGION.match(part)), None)


def _resources(finding: Mapping[str, Any], finding_id: str) -> list[Mapping[str, Any]]:
    resources = finding.get("Resources")
    if resources is None:
        raise AsffValidationError("Resources", "missing", finding_id)
    if not isinstance(resources, list) or not resources:
        raise AsffValidationError("Resources", "must be a non-empty list", finding_id)
    for index, resource in enumerate(resources):
        if not isinstance(resource, Mapping):
            raise AsffValidationError(f"Resources[{index}]", "must be an object", finding_id)
        for key in ("Type", "Id"):
            if not _optional_text(resource.get(key)):
                raise AsffValidationError(f"Resources[{index}].{key}", "missing", finding_id)
    return resources


def _control(
    finding: Mapping[str, Any], generator_id: str, finding_id: str
) -> tuple[str | None, str | None]:
    """(security control id, standard control id) of a finding (see the module docstring)."""
    compliance = _map(finding.get("Compliance"), "Compliance", finding_id)
    fields = _map(finding.get("ProductFields"), "ProductFields", finding_id)
    from_security_hub = str(finding.get("ProductArn", "")).endswith("/aws/securityhub")
    standard_control = None
    if from_security_hub:
        standard_control = _optional_text(fields.get("ControlId")) or _optional_text(
            fields.get("RuleId")
        )
        if not standard_control and "/v/" in generator_id:
            standard_control = generator_id.rsplit("/", 1)[-1]
    security = _optional_text(compliance.get("SecurityControlId"))
    if security:
        return control_id_resolve(security), standard_control
    control = security_control_id(generator_id)
    if control:
        is_consolidated = generator_id.lower().startswith(SECURITY_CONTROL_PREFIX)
        return control, None if is_consolidated else standard_control
    standards_arn = _optional_text(fields.get("StandardsArn")) or _optional_text(
        fields.get("StandardsGuideArn")
    )
    if standards_arn and standard_control:
        key = standard_generator_id(standards_arn, standard_control)
        control = security_control_id(key) if key else None
        if control:
            return control, standard_control
    return None, standard_control


def _product_name(finding: Mapping[str, Any], product_arn: str) -> str | None:
    fields = finding.get("ProductFields")
    from_fields = fields.get("aws/securityhub/ProductName") if isinstance(fields, Mapping) else None
    return (
        _optional_text(finding.get("ProductName"))
        or _optional_text(from_fields)
        or (product_arn.rsplit("/", 1)[-1] if "/" in product_arn else None)
    )


def asff_parse(finding: Any) -> NormalizedFinding:
    """Parse one ASFF finding; raise `AsffValidationError` naming the first bad field."""
    if not isinstance(finding, Mapping):
        raise AsffValidationError("(finding)", f"expected an object, got {type(finding).__name__}")
    finding_id = _text(finding, "Id", None)
    if len(finding_id) > ID_MAX:  # ASFF's limit; the id is the table's key (DynamoDB: 2 KB)
        raise AsffValidationError("Id", f"longer than {ID_MAX} characters")
    product_arn = _text(finding, "ProductArn", finding_id)
    generator_id = _text(finding, "GeneratorId", finding_id)
    account_id = _text(finding, "AwsAccountId", finding_id)
    if not _ACCOUNT.match(account_id):
        raise AsffValidationError("AwsAccountId", f"not an account id: {account_id!r}", finding_id)
    title = _text(finding, "Title", finding_id)
    resources = _resources(finding, finding_id)
    created_at = asff_timestamp(finding.get("CreatedAt"), "CreatedAt", finding_id)
    updated_at = asff_timestamp(finding.get("UpdatedAt"), "UpdatedAt", finding_id)
    first_observed = finding.get("FirstObservedAt")
    control_id, standard_control_id = _control(finding, generator_id, finding_id)
    compliance = _map(finding.get("Compliance"), "Compliance", finding_id)
    first = resources[0]
    return NormalizedFinding(
        finding_id=finding_id,
        product_arn=product_arn,
        product_name=_product_name(finding, product_arn),
        generator_id=generator_id,
        control_id=control_id,
        standard_control_id=standard_control_id,
        title=title,
        account_id=account_id,
        region=_optional_text(finding.get("Region"))
        or _region_in_arn(product_arn)
        or _optional_text(first.get("Region")),
        severity_label=_severity(finding, finding_id),
        compliance_status=_enum(
            compliance.get("Status"), "Compliance.Status", COMPLIANCE_STATUSES, finding_id
        ),
        workflow_status=_workflow(finding, finding_id),
        record_state=_enum(finding.get("RecordState"), "RecordState", RECORD_STATES, finding_id)
        or "ACTIVE",
        resource_type=str(first["Type"]).strip(),
        resource_id=str(first["Id"]).strip(),
        resource_ids=tuple(str(r["Id"]).strip() for r in resources),
        created_at=created_at,
        first_observed_at=asff_timestamp(first_observed, "FirstObservedAt", finding_id)
        if first_observed
        else None,
        updated_at=updated_at,
        raw=finding,
        resource_tags=frozenset(
            f"{key}={value}"
            for resource in resources
            if isinstance(resource.get("Tags"), Mapping)
            for key, value in resource["Tags"].items()
        ),
    )
