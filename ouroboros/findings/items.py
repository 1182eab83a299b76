"""From a normalized finding to the ``security_findings`` item, and the state counters see.

`finding_item_build` is the one place a `NormalizedFinding` becomes a `FindingModel` item: the
normalized fields, the index keys (`finding_index_keys`), the raw ASFF as canonical JSON,
zlib-compressed, and its ``content_hash``. The hash covers the canonical JSON (sorted keys, so key
order in the input does not matter) and `NORMALIZER_VERSION`: when the parsing rules change, bump
the version and the next collection rewrites every finding instead of skipping it as unchanged.

`FindingState` is what the aggregates count for one stored finding; `state_buckets` lists the
buckets it occupies (the contract in `ouroboros.aggregates`).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ouroboros.models import FindingModel
from ouroboros.models.findings import finding_index_keys
from ouroboros.securityhub.asff import NormalizedFinding

#: Part of every content hash; bump it when `asff_parse` changes what it derives.
NORMALIZER_VERSION = "1"

#: Attributes read back from a stored finding before it is overwritten.
STORED_ATTRIBUTES = (
    "finding_id",
    "content_hash",
    "updated_at",
    "record_state",
    "severity_label",
    "compliance_status",
    "workflow_status",
    "account_id",
    "control_id",
    "last_remediation",
)


@dataclass(frozen=True, slots=True)
class FindingState:
    """The fields of a stored finding the aggregates count by."""

    record_state: str
    severity_label: str | None
    compliance_status: str | None
    workflow_status: str | None
    account_id: str | None
    control_id: str | None

    @classmethod
    def of(cls, finding: NormalizedFinding) -> FindingState:
        return cls(
            finding.record_state,
            finding.severity_label,
            finding.compliance_status,
            finding.workflow_status,
            finding.account_id,
            finding.control_id,
        )

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> FindingState:
        """The state of a stored item (DynamoDB JSON, as BatchGetItem returns it)."""

        def text(name: str) -> str | None:
            value = item.get(name)
            return value.get("S") if isinstance(value, dict) else None

        return cls(
            text("record_state") or "ACTIVE",
            text("severity_label"),
            text("compliance_status"),
            text("workflow_status"),
            text("account_id"),
            text("control_id"),
        )

    @property
    def failing(self) -> bool:
        """Counts in its control's ``failed_count``: active, FAILED, with a control."""
        return (
            self.record_state == "ACTIVE"
            and self.compliance_status == "FAILED"
            and self.control_id is not None
        )


def state_buckets(state: FindingState) -> list[tuple[str, str]]:
    """The (aggregate id, bucket) pairs ``state`` counts in."""
    rs = state.record_state
    buckets = [("findings#state", rs)]
    for aggregate, value in (
        ("findings#severity", state.severity_label),
        ("findings#compliance", state.compliance_status),
        ("findings#workflow", state.workflow_status),
        ("findings#account", state.account_id),
        ("findings#control", state.control_id),
    ):
        if value:
            buckets.append((aggregate, f"{rs}#{value}"))
    return buckets


@dataclass(frozen=True, slots=True)
class FindingItem:
    """A finding ready to write: its DynamoDB JSON item and what the writer compares."""

    finding: NormalizedFinding
    item: dict[str, Any]
    content_hash: str


def canonical_json(raw: Any) -> bytes:
    """The ASFF as compact JSON with sorted keys (what is hashed and stored)."""
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def finding_item_build(finding: NormalizedFinding, *, now: datetime) -> FindingItem:
    """The ``security_findings`` item of ``finding`` (see the module docstring)."""
    body = canonical_json(finding.raw)
    digest = hashlib.sha256(NORMALIZER_VERSION.encode() + b"\n" + body).hexdigest()
    model = FindingModel(
        finding.finding_id,
        product_arn=finding.product_arn,
        product_name=finding.product_name,
        generator_id=finding.generator_id,
        control_id=finding.control_id,
        title=finding.title,
        account_id=finding.account_id,
        region=finding.region,
        severity_label=finding.severity_label,
        compliance_status=finding.compliance_status,
        workflow_status=finding.workflow_status,
        record_state=finding.record_state,
        resource_type=finding.resource_type,
        resource_id=finding.resource_id,
        resource_ids=list(finding.resource_ids),
        created_at=finding.created_at,
        first_observed_at=finding.first_observed_at,
        updated_at=finding.updated_at,
        collected_at=now,
        content_hash=digest,
        raw=zlib.compress(body),
    )
    finding_index_keys(model)
    return FindingItem(finding, model.serialize(), digest)


def finding_raw(model: FindingModel) -> Any:
    """The original ASFF of a stored finding (decompressed), or None."""
    return json.loads(zlib.decompress(model.raw)) if model.raw else None
