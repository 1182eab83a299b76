"""From a normalized finding to the ``security_findings`` item, and the state counters see.

`finding_item_build` is the one place a `NormalizedFinding` becomes a `FindingModel` item: the
normalized fields, the index keys (`finding_index_keys`), the raw ASFF as canonical JSON,
zlib-compressed, and its ``content_hash``. The hash covers the canonical JSON (sorted keys, so key
order in the input does not matter) and `NORMALIZER_VERSION`: when the parsing rules change, bump
the version and the next collection rewrites every finding instead of skipping it as unchanged.

`FindingState` is what the aggregates count for one stored finding; `state_buckets` lists the
buckets it occupies (the contract in `ouroboros.aggregates`), including ``findings#title``: the
distinct titles of findings without a control, which the title search matches words against.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from ouroboros.models import FindingModel
from ouroboros.models.findings import finding_index_keys, title_key
from ouroboros.securityhub.asff import NormalizedFinding

#: Part of every content hash; bump it when `asff_parse` changes what it derives.
NORMALIZER_VERSION = "1"

#: zlib level of ``raw``: ASFF JSON compresses to ~38% at level 1 and ~37% at the default 6,
#: which costs about a third more CPU per finding.
RAW_COMPRESSION_LEVEL = 1

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
    "title",
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
    #: `title_key` of the title of a finding WITHOUT a control (None for the others: their words
    #: are found through the control's title), for the title search's ``findings#title``.
    title_key: str | None = None

    @classmethod
    def of(cls, finding: NormalizedFinding) -> FindingState:
        return cls(
            finding.record_state,
            finding.severity_label,
            finding.compliance_status,
            finding.workflow_status,
            finding.account_id,
            finding.control_id,
            _uncontrolled_title(finding.control_id, finding.title),
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
            _uncontrolled_title(text("control_id"), text("title")),
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
    if state.control_id and state.compliance_status == "FAILED":
        # The dashboard's "top failing controls" (contract in `ouroboros.aggregates`).
        buckets.append(("findings#control_failed", f"{rs}#{state.control_id}"))
    if state.title_key:
        # The distinct titles of findings without a control (the title search's word lookup).
        buckets.append(("findings#title", f"{rs}#{state.title_key}"))
    return buckets


def _uncontrolled_title(control_id: str | None, title: str | None) -> str | None:
    if control_id or not title:
        return None
    return title_key(title) or None


@dataclass(frozen=True, slots=True)
class FindingItem:
    """A finding ready to write: its DynamoDB JSON item and what the writer compares."""

    finding: NormalizedFinding
    item: dict[str, Any]
    content_hash: str


def canonical_json(raw: Any) -> bytes:
    """The ASFF as compact JSON with sorted keys (what is hashed and stored)."""
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class _IndexKeyFields:
    """The fields `finding_index_keys` reads and sets, without a PynamoDB model around them.

    Building and serializing a `FindingModel` costs several times the rest of the item build; the
    collector builds thousands of items per second, so it fills this plain record, lets
    `finding_index_keys` (the one definition of the index keys) set the keys on it, and writes the
    DynamoDB JSON itself. A test keeps the result equal to ``FindingModel(...).serialize()``.
    """

    g_state: str | None
    severity_sort: str | None
    g_severity: str | None
    g_compliance: str | None
    g_workflow: str | None
    g_account: str | None
    g_region: str | None
    g_control: str | None
    g_resource_type: str | None
    g_product: str | None
    g_resource: str | None
    g_title: str | None

    def __init__(self, finding: NormalizedFinding) -> None:
        self.record_state = finding.record_state
        self.severity_label = finding.severity_label
        self.updated_at = finding.updated_at
        self.compliance_status = finding.compliance_status
        self.workflow_status = finding.workflow_status
        self.account_id = finding.account_id
        self.region = finding.region
        self.control_id = finding.control_id
        self.resource_type = finding.resource_type
        self.product_name = finding.product_name
        self.resource_id = finding.resource_id
        self.title = finding.title


_INDEX_KEYS = (
    "g_state",
    "severity_sort",
    "g_severity",
    "g_compliance",
    "g_workflow",
    "g_account",
    "g_region",
    "g_control",
    "g_resource_type",
    "g_product",
    "g_resource",
    "g_title",
)


@dataclass(frozen=True, slots=True)
class FindingContent:
    """A finding's raw ASFF as canonical JSON and its ``content_hash``."""

    body: bytes
    content_hash: str


def finding_content(finding: NormalizedFinding) -> FindingContent:
    """What is hashed and stored of ``finding``: enough to tell whether it changed.

    The writer compares this before it builds the rest of the item, so an unchanged finding
    costs one JSON encoding and one hash, not an item.
    """
    body = canonical_json(finding.raw)
    digest = hashlib.sha256(NORMALIZER_VERSION.encode() + b"\n" + body).hexdigest()
    return FindingContent(body, digest)


def finding_item_build(
    finding: NormalizedFinding,
    *,
    now: datetime,
    content: FindingContent | None = None,
    collected_at: str | None = None,
) -> FindingItem:
    """The ``security_findings`` item of ``finding`` (see the module docstring).

    ``content`` (`finding_content` of ``finding``) and ``collected_at`` (``now`` serialized) may
    be passed by a caller that already has them.
    """
    content = content or finding_content(finding)
    body, digest = content.body, content.content_hash
    keys = _IndexKeyFields(finding)
    finding_index_keys(cast(FindingModel, keys))
    texts = {
        "finding_id": finding.finding_id,
        "product_arn": finding.product_arn,
        "product_name": finding.product_name,
        "generator_id": finding.generator_id,
        "control_id": finding.control_id,
        "title": finding.title,
        "account_id": finding.account_id,
        "region": finding.region,
        "severity_label": finding.severity_label,
        "compliance_status": finding.compliance_status,
        "workflow_status": finding.workflow_status,
        "record_state": finding.record_state,
        "resource_type": finding.resource_type,
        "resource_id": finding.resource_id,
        "created_at": finding.created_at,
        "first_observed_at": finding.first_observed_at,
        "updated_at": finding.updated_at,
        "content_hash": digest,
        **{name: getattr(keys, name) for name in _INDEX_KEYS},
    }
    item: dict[str, Any] = {name: {"S": value} for name, value in texts.items() if value}
    item["resource_ids"] = {"L": [{"S": resource} for resource in finding.resource_ids]}
    item["collected_at"] = {"S": collected_at or FindingModel.collected_at.serialize(now)}
    item["raw"] = {"B": zlib.compress(body, RAW_COMPRESSION_LEVEL)}
    return FindingItem(finding, item, digest)


def finding_raw(model: FindingModel) -> Any:
    """The original ASFF of a stored finding (decompressed), or None."""
    return json.loads(zlib.decompress(model.raw)) if model.raw else None
