"""What the local Security Hub does to a finding, written as AWS documents it (pure functions).

- BatchImportFindings creates a finding or replaces the provider's version of it (identity: ``Id``
  + ``ProductArn``). The customer's fields (``Note``, ``UserDefinedFields``,
  ``VerificationState``, ``Workflow``) are never taken from an update, and ``Confidence``,
  ``Criticality``, ``RelatedFindings``, ``Severity``, ``Types`` are kept once a customer changed
  them with BatchUpdateFindings. New findings default to ``RecordState`` ACTIVE and
  ``Workflow.Status`` NEW; an update resets a NOTIFIED or RESOLVED workflow to NEW when the record
  goes from ARCHIVED to ACTIVE or compliance goes from PASSED to WARNING / FAILED / NOT_AVAILABLE.
  ``FindingProviderFields`` is filled from the top-level fields when a new finding has none.
- BatchUpdateFindings changes only the customer fields and, as AWS documents it, does NOT change
  ``UpdatedAt`` (the botocore model: "your updates don't affect the value for the UpdatedAt
  field"). It sets ``ProcessedAt``, and ``Note.UpdatedAt`` when a note is written.
- Every import or update emits one "Security Hub Findings - Imported" event per finding.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

REQUIRED_FIELDS = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "CreatedAt",
    "UpdatedAt",
    "Title",
    "Description",
    "Resources",
)
CUSTOMER_FIELDS = ("Note", "UserDefinedFields", "VerificationState", "Workflow")
#: Fields a provider sets on import that a customer's BatchUpdateFindings then owns.
GUARDED_FIELDS = ("Confidence", "Criticality", "RelatedFindings", "Severity", "Types")
MAX_FINDING_BYTES = 240 * 1024
TIMESTAMP_FIELDS = ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt")

IMPORTED_SOURCE = "aws.securityhub"
IMPORTED_DETAIL_TYPE = "Security Hub Findings - Imported"

SEVERITY_NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
SEVERITY_LABELS = tuple(SEVERITY_NORMALIZED)
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_FRACTION = re.compile(r"(\.\d{6})\d+")


def now_timestamp(now: datetime | None = None) -> str:
    """An ASFF timestamp as Security Hub writes it: UTC, milliseconds, ``Z``."""
    now = now or datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def timestamp_key(value: Any) -> str:
    """A sortable UTC form of an ASFF timestamp (microseconds); raises ValueError if malformed."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a timestamp: {value!r}")
    text = _FRACTION.sub(r"\1", value.strip().replace("z", "Z"))
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def severity_label(normalized: float) -> str:
    """The label AWS derives from a normalized severity (0-100)."""
    if normalized >= 90:
        return "CRITICAL"
    if normalized >= 70:
        return "HIGH"
    if normalized >= 40:
        return "MEDIUM"
    if normalized >= 1:
        return "LOW"
    return "INFORMATIONAL"


def finding_problem(finding: Any) -> str | None:
    """Why ``finding`` cannot be imported, or None."""
    if not isinstance(finding, dict):
        return "a finding is a JSON object"
    missing = [name for name in REQUIRED_FIELDS if finding.get(name) in (None, "", [])]
    if missing:
        return "missing required fields: " + ", ".join(missing)
    if not isinstance(finding["Resources"], list) or not all(
        isinstance(r, dict) and r.get("Type") and r.get("Id") for r in finding["Resources"]
    ):
        return "Resources must be a list of objects with Type and Id"
    for name in TIMESTAMP_FIELDS:
        if name in finding:
            try:
                timestamp_key(finding[name])
            except ValueError:
                return f"{name} is not an ISO 8601 timestamp: {finding[name]!r}"
    if len(json.dumps(finding)) > MAX_FINDING_BYTES:
        return "finding is larger than 240 KB"
    return None


def finding_import(
    incoming: dict[str, Any],
    existing: dict[str, Any] | None,
    customer_owned: set[str],
    *,
    region: str,
    now: str,
) -> dict[str, Any]:
    """The stored finding after importing ``incoming`` over ``existing`` (None: a new finding)."""
    finding = copy.deepcopy(incoming)
    finding.setdefault("Region", _region_of(finding) or region)
    finding["ProcessedAt"] = now
    if existing is None:
        finding.setdefault("RecordState", "ACTIVE")
        workflow = finding.get("Workflow") or {}
        finding["Workflow"] = {"Status": workflow.get("Status") or "NEW"}
        finding.setdefault("WorkflowState", "NEW")
        _fill_provider_fields(finding)
        return finding
    for name in (*CUSTOMER_FIELDS, *sorted(customer_owned)):
        if name in existing:
            finding[name] = copy.deepcopy(existing[name])
        else:
            finding.pop(name, None)
    finding.setdefault("RecordState", existing.get("RecordState", "ACTIVE"))
    if _workflow_resets(existing, finding):
        finding["Workflow"] = {"Status": "NEW"}
    finding.setdefault("Workflow", {"Status": "NEW"})
    return finding


def finding_update(
    finding: dict[str, Any], request: dict[str, Any], *, now: str
) -> tuple[dict[str, Any], set[str]]:
    """Apply a BatchUpdateFindings ``request``; returns the finding and the guarded fields set."""
    updated = copy.deepcopy(finding)
    owned: set[str] = set()
    if "Note" in request:
        note = request["Note"]
        updated["Note"] = {"Text": note["Text"], "UpdatedBy": note["UpdatedBy"], "UpdatedAt": now}
    if "Workflow" in request and request["Workflow"].get("Status"):
        updated["Workflow"] = {"Status": request["Workflow"]["Status"]}
    if "VerificationState" in request:
        updated["VerificationState"] = request["VerificationState"]
    if "UserDefinedFields" in request:
        fields = dict(updated.get("UserDefinedFields") or {})
        fields.update(request["UserDefinedFields"])
        updated["UserDefinedFields"] = fields
    if "Severity" in request:
        updated["Severity"] = _severity_update(updated.get("Severity") or {}, request["Severity"])
        owned.add("Severity")
    for name in ("Confidence", "Criticality", "Types", "RelatedFindings"):
        if name in request:
            updated[name] = copy.deepcopy(request[name])
            owned.add(name)
    updated["ProcessedAt"] = now
    return updated, owned


def imported_event(
    finding: dict[str, Any], *, account: str, region: str, now: str | None = None
) -> dict[str, Any]:
    """The "Security Hub Findings - Imported" event for one finding (the envelope AWS sends)."""
    time = (now or now_timestamp())[:19] + "Z"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": IMPORTED_DETAIL_TYPE,
        "source": IMPORTED_SOURCE,
        "account": account,
        "time": time,
        "region": region,
        "resources": [f"{finding['ProductArn']}/{finding['Id']}"],
        "detail": {"findings": [finding]},
    }


def _region_of(finding: dict[str, Any]) -> str | None:
    parts = str(finding.get("ProductArn", "")).split(":")
    region = parts[3] if len(parts) > 3 else ""
    return region if _REGION.fullmatch(region) else None


def _fill_provider_fields(finding: dict[str, Any]) -> None:
    if "FindingProviderFields" in finding:
        return
    provider: dict[str, Any] = {}
    severity = finding.get("Severity") or {}
    if severity.get("Label") or severity.get("Original"):
        provider["Severity"] = {
            key: severity[key] for key in ("Label", "Original") if severity.get(key) is not None
        }
    for name in ("Types", "Confidence", "Criticality", "RelatedFindings"):
        if name in finding:
            provider[name] = copy.deepcopy(finding[name])
    if provider:
        finding["FindingProviderFields"] = provider


def _workflow_resets(existing: dict[str, Any], finding: dict[str, Any]) -> bool:
    status = (existing.get("Workflow") or {}).get("Status")
    if status not in ("NOTIFIED", "RESOLVED"):
        return False
    unarchived = existing.get("RecordState") == "ARCHIVED" and finding["RecordState"] == "ACTIVE"
    old = (existing.get("Compliance") or {}).get("Status")
    new = (finding.get("Compliance") or {}).get("Status")
    failing = old == "PASSED" and new in ("WARNING", "FAILED", "NOT_AVAILABLE")
    return unarchived or failing


def _severity_update(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    severity = dict(current)
    if "Product" in update:
        severity["Product"] = update["Product"]
    if "Label" in update and "Normalized" not in update:
        severity["Label"] = update["Label"]
        severity["Normalized"] = SEVERITY_NORMALIZED[update["Label"]]
    elif "Normalized" in update:
        severity["Normalized"] = update["Normalized"]
        severity["Label"] = update.get("Label") or severity_label(update["Normalized"])
    return severity
