"""What the local Security Hub does to an OCSF (V2) finding, as AWS documents it (pure functions).

- A finding's identity is botocore's ``OcsfFindingIdentifier``: ``cloud.account.uid``,
  ``finding_info.uid`` and ``metadata.product.uid``. ``metadata.uid`` is Security Hub's handle
  (``MetadataUids`` in BatchUpdateFindingsV2, the event's ``resources[0]``): an import keeps the
  one the document carries, else the one already stored, else one derived from the identity
  (64 hex characters, as Security Hub's are).
- An import (local only: AWS has no V2 import API, findings come from the products) creates the
  finding or replaces the product's version of it. What a customer changed with
  BatchUpdateFindingsV2 (``status_id``, ``severity_id``, ``comment``) stays, except that a status
  In Progress or Resolved goes back to New when the finding reopens (``compliance.status_id``
  from Pass to Warning / Fail, or ``activity_id`` from Close to another), as ASFF workflows do.
- BatchUpdateFindingsV2 sets ``status_id`` / ``severity_id`` (and recomputes ``status`` /
  ``severity``) and ``comment``; the provider's severity is kept in ``vendor_attributes``. As the
  botocore documentation says, it does not change ``finding_info.modified_time(_dt)`` or
  ``time(_dt)``.
- Every import or update emits one "Findings Imported V2" event per finding
  (`imported_v2_event`, the envelope of the real event in ``tests/events/ocsf``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from emulator.securityhub_findings import MAX_FINDING_BYTES, now_timestamp, timestamp_key

IMPORTED_V2_SOURCE = "aws.securityhub"
IMPORTED_V2_DETAIL_TYPE = "Findings Imported V2"

#: OCSF ``status_id`` and ``severity_id`` names (ocsf-schema ``finding.json``, ``base_event``).
STATUS_NAMES = {
    0: "Unknown",
    1: "New",
    2: "In Progress",
    3: "Suppressed",
    4: "Resolved",
    5: "Archived",
    99: "Other",
}
SEVERITY_NAMES = {
    0: "Unknown",
    1: "Informational",
    2: "Low",
    3: "Medium",
    4: "High",
    5: "Critical",
    6: "Fatal",
    99: "Other",
}
#: What BatchUpdateFindingsV2 changes: request member -> the OCSF attributes it owns afterwards.
CUSTOMER_FIELDS = {
    "StatusId": ("status_id", "status"),
    "SeverityId": ("severity_id", "severity"),
    "Comment": ("comment",),
}
MAX_COMMENT = 512
_REOPENED_STATUSES = (2, 4)  # In Progress, Resolved
_CLOSE_ACTIVITY = 3
_PASS, _WARNING, _FAIL = 1, 2, 3


def _get(document: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document


def ocsf_identity(finding: dict[str, Any]) -> tuple[str, str, str]:
    """(``cloud.account.uid``, ``finding_info.uid``, ``metadata.product.uid``) of a finding."""
    return (
        str(_get(finding, "cloud.account.uid")),
        str(_get(finding, "finding_info.uid")),
        str(_get(finding, "metadata.product.uid")),
    )


def identifier_of(finding: dict[str, Any]) -> dict[str, str]:
    """The finding's ``OcsfFindingIdentifier`` (BatchUpdateFindingsV2's shape)."""
    account, uid, product = ocsf_identity(finding)
    return {"CloudAccountUid": account, "FindingInfoUid": uid, "MetadataProductUid": product}


def metadata_uid_derived(identity: tuple[str, str, str]) -> str:
    """The ``metadata.uid`` the local Security Hub gives a finding that comes without one."""
    return hashlib.sha256("\n".join(identity).encode()).hexdigest()


def modified_key(finding: dict[str, Any]) -> str:
    """The finding's last modification as a sortable UTC key (``modified_time_dt`` first)."""
    for path in ("finding_info.modified_time_dt", "time_dt"):
        try:
            return timestamp_key(_get(finding, path))
        except ValueError:
            continue
    for path in ("finding_info.modified_time", "time"):
        value = _get(finding, path)
        if isinstance(value, int) and not isinstance(value, bool):
            return _epoch_key(value)
    return ""


def _epoch_key(value: int) -> str:
    seconds = value / 1000 if value > 10**11 else value  # OCSF times are epoch milliseconds
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ocsf_finding_problem(finding: Any) -> str | None:
    """Why the local Security Hub cannot store ``finding`` as an OCSF finding, or None."""
    if not isinstance(finding, dict):
        return "an OCSF finding is a JSON object"
    missing = [
        path
        for path in ("finding_info.uid", "metadata.product.uid", "cloud.account.uid", "class_uid")
        if _get(finding, path) in (None, "", [])
    ]
    if missing:
        return "missing required OCSF attributes: " + ", ".join(missing)
    for path in ("finding_info.uid", "metadata.product.uid", "cloud.account.uid"):
        if not isinstance(_get(finding, path), str):
            return f"{path} is not a string"
    metadata_uid = _get(finding, "metadata.uid")
    if metadata_uid is not None and (not isinstance(metadata_uid, str) or not metadata_uid):
        return "metadata.uid is not a non-empty string"
    if len(json.dumps(finding)) > MAX_FINDING_BYTES:
        return "finding is larger than 240 KB"
    return None


def ocsf_finding_import(
    incoming: dict[str, Any], existing: dict[str, Any] | None, customer_owned: set[str]
) -> tuple[dict[str, Any], set[str]]:
    """The stored finding after importing ``incoming`` over ``existing``, and what stays owned."""
    finding = copy.deepcopy(incoming)
    metadata = finding.setdefault("metadata", {})
    if not metadata.get("uid"):
        metadata["uid"] = (existing or {}).get("metadata", {}).get("uid") or metadata_uid_derived(
            ocsf_identity(finding)
        )
    if existing is None:
        return finding, set()
    owned = set(customer_owned)
    if "StatusId" in owned and _reopens(existing, finding):
        owned.discard("StatusId")
    for member in sorted(owned):
        for attribute in CUSTOMER_FIELDS[member]:
            if attribute in existing:
                finding[attribute] = copy.deepcopy(existing[attribute])
            else:
                finding.pop(attribute, None)
    if "SeverityId" in owned and "vendor_attributes" in existing:
        finding.setdefault("vendor_attributes", copy.deepcopy(existing["vendor_attributes"]))
    return finding, owned


def _reopens(existing: dict[str, Any], finding: dict[str, Any]) -> bool:
    if existing.get("status_id") not in _REOPENED_STATUSES:
        return False
    old = _get(existing, "compliance.status_id")
    new = _get(finding, "compliance.status_id")
    failing = old == _PASS and new in (_WARNING, _FAIL)
    unclosed = (
        existing.get("activity_id") == _CLOSE_ACTIVITY
        and finding.get("activity_id") != _CLOSE_ACTIVITY
    )
    return failing or unclosed


def ocsf_update_problem(update: dict[str, Any]) -> str | None:
    """Why a BatchUpdateFindingsV2 change (``StatusId``, ``SeverityId``, ``Comment``) is refused."""
    if not update:
        return "BatchUpdateFindingsV2 needs at least one of Comment, SeverityId, StatusId"
    if "StatusId" in update and update["StatusId"] not in STATUS_NAMES:
        return f"StatusId must be one of {', '.join(map(str, STATUS_NAMES))}"
    if "SeverityId" in update and update["SeverityId"] not in SEVERITY_NAMES:
        return f"SeverityId must be one of {', '.join(map(str, SEVERITY_NAMES))}"
    comment = update.get("Comment")
    if "Comment" in update and (
        not isinstance(comment, str) or not comment.strip() or len(comment) > MAX_COMMENT
    ):
        return f"Comment must be 1 to {MAX_COMMENT} characters, not blank"
    return None


def ocsf_finding_update(finding: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Apply a checked BatchUpdateFindingsV2 ``update`` (see `ocsf_update_problem`)."""
    updated = copy.deepcopy(finding)
    if "StatusId" in update:
        updated["status_id"] = update["StatusId"]
        updated["status"] = STATUS_NAMES[update["StatusId"]]
    if "SeverityId" in update:
        if "vendor_attributes" not in updated:
            updated["vendor_attributes"] = {
                key: finding[key] for key in ("severity", "severity_id") if key in finding
            }
        updated["severity_id"] = update["SeverityId"]
        updated["severity"] = SEVERITY_NAMES[update["SeverityId"]]
    if "Comment" in update:
        updated["comment"] = update["Comment"]
    return updated


def imported_v2_event(
    finding: dict[str, Any], *, account: str, region: str, now: str | None = None
) -> dict[str, Any]:
    """The "Findings Imported V2" event for one finding (the envelope AWS sends)."""
    time = (now or now_timestamp())[:19] + "Z"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": IMPORTED_V2_DETAIL_TYPE,
        "source": IMPORTED_V2_SOURCE,
        "account": account,
        "time": time,
        "region": region,
        "resources": [finding["metadata"]["uid"]],
        "detail": {"findings": [finding]},
    }
