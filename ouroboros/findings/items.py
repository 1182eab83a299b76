"""From a normalized finding to the ``security_findings`` item, and the state counters see.

`finding_item_build` is the one place a `NormalizedFinding` becomes a `FindingModel` item: the
normalized fields, the index keys (`finding_index_keys`), the raw document as canonical JSON,
zlib-compressed, and its content hash. The hash covers the canonical JSON (sorted keys, so key
order in the input does not matter) and `NORMALIZER_VERSION`: when the parsing rules change, bump
the version and the next collection rewrites every finding instead of skipping it as unchanged.

One item for both formats (Security Hub CSPM's ASFF, Security Hub V2's OCSF; issue 22): the key
is the ASFF ``Id`` = OCSF ``finding_info.uid``, and each format has its own side of the item,
`FORMAT_SIDES`: its raw document and content hash (``raw`` / ``content_hash`` for ASFF, as
before, ``raw_ocsf`` / ``content_hash_ocsf`` for OCSF, plus the V2 identity and status). A
finding held in one format only has that side, ``formats`` = [that format], and its
``updated_at`` is that document's. When the other format arrives, `finding_item_merge` joins
them: both sides kept, ``formats`` both, each side's update time in ``<format>_updated_at``, and
the normalized fields (and index keys) from the newer document (the arriving one on a tie).
`finding_raw` gives the ASFF-shaped document of either: the stored ASFF, or the conversion of
the OCSF when the normalized fields come from it (what reactors receive).

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

from ouroboros.aggregates.facets import facet_buckets
from ouroboros.models import FindingModel
from ouroboros.models.findings import finding_index_keys, item_list_row, title_key
from ouroboros.securityhub.asff import FORMAT_ASFF, FORMAT_OCSF, NormalizedFinding
from ouroboros.securityhub.ocsf import ocsf_to_asff

#: Part of every content hash; bump it when `asff_parse` or `ocsf_parse` changes what it derives.
NORMALIZER_VERSION = "1"

#: Each format's own attributes of an item (the rest are the normalized fields and index keys).
FORMAT_SIDES: dict[str, tuple[str, ...]] = {
    FORMAT_ASFF: ("raw", "content_hash"),
    FORMAT_OCSF: (
        "raw_ocsf",
        "content_hash_ocsf",
        "metadata_uid",
        "ocsf_product_uid",
        "ocsf_status_id",
        "ocsf_status",
    ),
}
#: The attribute holding each format's content hash.
HASH_ATTRIBUTES = {FORMAT_ASFF: "content_hash", FORMAT_OCSF: "content_hash_ocsf"}
#: Each format's update time, on an item holding both formats.
UPDATED_ATTRIBUTES = {FORMAT_ASFF: "asff_updated_at", FORMAT_OCSF: "ocsf_updated_at"}

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
    "resource_id",
    "last_remediation",
    "formats",
    "source_format",
    "content_hash_ocsf",
    "asff_updated_at",
    "ocsf_updated_at",
    "list_row",
    "changed_at",
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
    #: The first resource id (``findings#resource``: group-by resource, resource prefix search).
    resource_id: str | None = None

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
            finding.resource_id,
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
            text("resource_id"),
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
    # Facet counters and findings per resource (contract in `ouroboros.aggregates.facets`).
    values = {
        "severity": state.severity_label,
        "compliance": state.compliance_status,
        "workflow": state.workflow_status,
        "account": state.account_id,
        "control": state.control_id,
    }
    return buckets + facet_buckets(rs, values, state.resource_id)


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

    changed_at: str | None = None
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
    "changed_at",
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
    """A finding's raw document (in its own format) as canonical JSON and its content hash."""

    body: bytes
    content_hash: str


def finding_content(finding: NormalizedFinding) -> FindingContent:
    """What is hashed and stored of ``finding``: enough to tell whether it changed.

    The document is the one received: the ASFF, or the OCSF (not its ASFF conversion). The
    writer compares this before it builds the rest of the item, so an unchanged finding costs
    one JSON encoding and one hash, not an item.
    """
    body = canonical_json(finding.ocsf_raw if finding.ocsf_raw is not None else finding.raw)
    digest = hashlib.sha256(NORMALIZER_VERSION.encode() + b"\n" + body).hexdigest()
    return FindingContent(body, digest)


def finding_item_build(
    finding: NormalizedFinding,
    *,
    now: datetime,
    content: FindingContent | None = None,
    collected_at: str | None = None,
) -> FindingItem:
    """The ``security_findings`` item of ``finding`` alone (see the module docstring).

    ``content`` (`finding_content` of ``finding``) and ``collected_at`` (``now`` serialized) may
    be passed by a caller that already has them.
    """
    content = content or finding_content(finding)
    body, digest = content.body, content.content_hash
    keys = _IndexKeyFields(finding)
    finding_index_keys(cast(FindingModel, keys))
    fmt = finding.source_format
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
        "source_format": fmt,
        HASH_ATTRIBUTES[fmt]: digest,
        **{name: getattr(keys, name) for name in _INDEX_KEYS},
    }
    if finding.ocsf is not None:
        texts["metadata_uid"] = finding.ocsf.metadata_uid
        texts["ocsf_product_uid"] = finding.ocsf.product_uid
        texts["ocsf_status"] = finding.ocsf.status
    item: dict[str, Any] = {name: {"S": value} for name, value in texts.items() if value}
    if finding.ocsf is not None and finding.ocsf.status_id is not None:
        item["ocsf_status_id"] = {"N": str(finding.ocsf.status_id)}
    item["resource_ids"] = {"L": [{"S": resource} for resource in finding.resource_ids]}
    item["formats"] = {"L": [{"S": fmt}]}
    item["collected_at"] = {"S": collected_at or FindingModel.collected_at.serialize(now)}
    raw_attribute = "raw_ocsf" if fmt == FORMAT_OCSF else "raw"
    item[raw_attribute] = {"B": zlib.compress(body, RAW_COMPRESSION_LEVEL)}
    item["list_row"] = item_list_row(item)
    return FindingItem(finding, item, digest)


def item_changed_at_keep(item: dict[str, Any], stored: dict[str, Any]) -> None:
    """Keep the stored ``changed_at`` in ``item`` when its row moved only in ``updated_at``.

    A re-evaluation that changes nothing a list row shows but the timestamps then moves no index
    key (`ouroboros.models.findings`): only ``list_row`` is rewritten in each index.
    """
    old_row = stored.get("list_row", {}).get("M")
    old_at = stored.get("changed_at", {}).get("S")
    if not old_row or not old_at:
        return
    new_row = item["list_row"]["M"]
    if {k: v for k, v in old_row.items() if k != "updated_at"} != {
        k: v for k, v in new_row.items() if k != "updated_at"
    }:
        return
    item["changed_at"] = {"S": old_at}
    sort = item.get("severity_sort", {}).get("S")
    if sort:
        item["severity_sort"] = {"S": f"{sort.split('#', 1)[0]}#{old_at}"}


def item_formats(item: dict[str, Any]) -> list[str]:
    """The formats a stored item (DynamoDB JSON) holds; items older than OCSF support: ASFF."""
    listed = item.get("formats", {}).get("L")
    return [value["S"] for value in listed] if listed else [FORMAT_ASFF]


def item_format_updated_at(item: dict[str, Any], fmt: str) -> str:
    """The update time of the ``fmt`` document a stored item holds ("" when it holds none)."""
    formats = item_formats(item)
    if fmt not in formats:
        return ""
    if len(formats) > 1:
        return str(item.get(UPDATED_ATTRIBUTES[fmt], {}).get("S", ""))
    return str(item.get("updated_at", {}).get("S", ""))


def finding_item_merge(built: FindingItem, stored: dict[str, Any]) -> FindingItem:
    """``built`` (one format's item) joined with the stored item holding the other format.

    Both sides are kept; the normalized fields are the newer document's (``built``'s on a tie);
    ``last_remediation`` is kept. ``stored`` is the whole stored item (DynamoDB JSON).
    """
    fmt = built.finding.source_format
    other = FORMAT_OCSF if fmt == FORMAT_ASFF else FORMAT_ASFF
    other_updated = item_format_updated_at(stored, other)
    if built.finding.updated_at >= other_updated:
        item = dict(built.item)
        item.update({name: stored[name] for name in FORMAT_SIDES[other] if name in stored})
        if "last_remediation" in stored:
            item["last_remediation"] = stored["last_remediation"]
    else:
        item = {name: value for name, value in stored.items() if name not in FORMAT_SIDES[fmt]}
        item.update({name: built.item[name] for name in FORMAT_SIDES[fmt] if name in built.item})
        item["collected_at"] = built.item["collected_at"]
    item["formats"] = {"L": [{"S": FORMAT_ASFF}, {"S": FORMAT_OCSF}]}
    item[UPDATED_ATTRIBUTES[fmt]] = {"S": built.finding.updated_at}
    item[UPDATED_ATTRIBUTES[other]] = {"S": other_updated}
    item["list_row"] = item_list_row(item)
    return FindingItem(built.finding, item, built.content_hash)


def finding_formats(model: FindingModel) -> list[str]:
    """The formats a stored finding was seen in (``["asff"]`` for items older than OCSF)."""
    return [str(fmt) for fmt in model.formats or []] or [FORMAT_ASFF]


def finding_raw(model: FindingModel) -> Any:
    """The ASFF-shaped document of a stored finding (what reactors receive), or None.

    The stored ASFF, or, when the normalized fields come from the OCSF document (or there is no
    ASFF), that document converted by `ocsf_to_asff`.
    """
    from_ocsf = model.source_format == FORMAT_OCSF or not model.raw
    if from_ocsf and model.raw_ocsf:
        return ocsf_to_asff(json.loads(zlib.decompress(model.raw_ocsf)))
    return json.loads(zlib.decompress(model.raw)) if model.raw else None


def finding_ocsf_raw(model: FindingModel) -> Any:
    """The OCSF document of a stored finding as received, or None (never seen as OCSF)."""
    return json.loads(zlib.decompress(model.raw_ocsf)) if model.raw_ocsf else None
