"""Consumer table ``security_findings``: normalized findings plus the raw ASFF, compressed.

Hash key: ``finding_id`` (the ASFF ``Id``, equal to the OCSF ``finding_info.uid`` of the same
finding: a finding seen in both formats is one item). Each format's raw document is kept
zlib-compressed apart, with its own content hash, so a re-collection of an unchanged finding, in
either format, writes nothing: ``raw`` / ``content_hash`` for ASFF, ``raw_ocsf`` /
``content_hash_ocsf`` for OCSF (items stay far below DynamoDB's 400 KB). ``formats`` lists the
formats seen (absent on items older than OCSF support: ASFF only), ``source_format`` the one
the normalized fields come from (the newer document; absent: ASFF), ``asff_updated_at`` /
``ocsf_updated_at`` each format's update time when both are held. The OCSF copy also gives
``metadata_uid``, ``ocsf_product_uid`` and the V2 status (``ocsf_status_id``, ``ocsf_status``)
that V2 updates and tickets need (`ouroboros.findings.items`).

Indexes. Every findings list the console and the API show is one Query on one index, newest
first. Each filter index's hash key is prefixed with the record state
(``ACTIVE#CRITICAL``), so archived findings leave the active views without a filter expression
and a page reads no more items than it shows:

==========================  ==================  =============================================
index                       hash                range
==========================  ==================  =============================================
``state-updated-index``     ``g_state``         ``changed_at``       (the default view)
``state-severity-index``    ``g_state``         ``severity_sort``    (``4#<changed>``)
``state-observed-index``    ``g_state``         ``first_observed_at``
``severity-index``          ``g_severity``      ``changed_at``
``compliance-index``        ``g_compliance``    ``changed_at``
``workflow-index``          ``g_workflow``      ``changed_at``
``account-index``           ``g_account``       ``changed_at``
``region-index``            ``g_region``        ``changed_at``
``control-index``           ``g_control``       ``changed_at``  (sparse: control findings only)
``resource-type-index``     ``g_resource_type`` ``changed_at``
``product-index``           ``g_product``       ``changed_at``
``resource-index``          ``g_resource``      ``changed_at``  (search by resource id / ARN)
``title-index``             ``g_title``         ``changed_at``  (search by title: the words are
                                                                 resolved to titles first)
==========================  ==================  =============================================

A second filter on top of one of these is a filter expression (on ``list_row``); sorting other
than by update time is offered on the unfiltered view (the ``state-*`` indexes).

Projections (issue 25): each index projects only ``list_row`` (`ROW_PROJECTION`), one map of
the columns a list row shows (`ROW_FIELDS`), so a page renders from the index alone, and an
index item stays under 1 KB (one write unit) where the whole item (2-3 KB with the compressed
raw documents) cost three in each of the 13 indexes. One attribute, not fifteen: DynamoDB allows
100 projected attributes summed over all of a table's indexes (DynamoDB Local: 20 per index).
The "updated" order is by ``changed_at``: the ``updated_at`` of the last change of anything a
list row shows other than ``updated_at`` itself. Security Hub re-evaluates control findings
every few hours and each time moves only ``UpdatedAt`` / ``LastObservedAt`` / ``ProcessedAt``; with
``updated_at`` in 13 index keys, each re-evaluation deleted and re-put 13 index items. Now the
index keys do not move, only ``list_row`` does (one write unit per index); the row still shows
the real ``updated_at``. A new finding has ``changed_at`` = ``updated_at``. Items written
before ``list_row`` existed are upgraded by `finding_items_upgrade` (run by the deploy).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

from pynamodb.attributes import (
    BinaryAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection

from ouroboros.models.base import OuroborosModel

SEVERITY_RANK = {"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1, "INFORMATIONAL": 0}

#: What a findings list row shows besides ``finding_id`` (kept in ``list_row``, projected into
#: every index). The order is the CSV export's column order.
ROW_FIELDS: tuple[str, ...] = (
    "title",
    "control_id",
    "severity_label",
    "compliance_status",
    "workflow_status",
    "record_state",
    "account_id",
    "region",
    "resource_type",
    "resource_id",
    "product_name",
    "updated_at",
    "first_observed_at",
    "formats",
    "ocsf_status",
)
#: The one non-key attribute every findings index projects.
ROW_PROJECTION = IncludeProjection(["list_row"])


class StateUpdatedIndex(GlobalSecondaryIndex):
    """``state-updated-index``: (g_state, changed_at)."""

    class Meta:
        index_name = "state-updated-index"
        projection = ROW_PROJECTION

    g_state = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class StateSeverityIndex(GlobalSecondaryIndex):
    """``state-severity-index``: (g_state, severity_sort)."""

    class Meta:
        index_name = "state-severity-index"
        projection = ROW_PROJECTION

    g_state = UnicodeAttribute(hash_key=True)
    severity_sort = UnicodeAttribute(range_key=True)


class StateObservedIndex(GlobalSecondaryIndex):
    """``state-observed-index``: (g_state, first_observed_at)."""

    class Meta:
        index_name = "state-observed-index"
        projection = ROW_PROJECTION

    g_state = UnicodeAttribute(hash_key=True)
    first_observed_at = UnicodeAttribute(range_key=True)


class SeverityIndex(GlobalSecondaryIndex):
    """``severity-index``: (g_severity, changed_at)."""

    class Meta:
        index_name = "severity-index"
        projection = ROW_PROJECTION

    g_severity = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class ComplianceIndex(GlobalSecondaryIndex):
    """``compliance-index``: (g_compliance, changed_at)."""

    class Meta:
        index_name = "compliance-index"
        projection = ROW_PROJECTION

    g_compliance = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class WorkflowIndex(GlobalSecondaryIndex):
    """``workflow-index``: (g_workflow, changed_at)."""

    class Meta:
        index_name = "workflow-index"
        projection = ROW_PROJECTION

    g_workflow = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class AccountIndex(GlobalSecondaryIndex):
    """``account-index``: (g_account, changed_at)."""

    class Meta:
        index_name = "account-index"
        projection = ROW_PROJECTION

    g_account = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class RegionIndex(GlobalSecondaryIndex):
    """``region-index``: (g_region, changed_at)."""

    class Meta:
        index_name = "region-index"
        projection = ROW_PROJECTION

    g_region = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class ControlIndex(GlobalSecondaryIndex):
    """``control-index``: (g_control, changed_at)."""

    class Meta:
        index_name = "control-index"
        projection = ROW_PROJECTION

    g_control = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class ResourceTypeIndex(GlobalSecondaryIndex):
    """``resource-type-index``: (g_resource_type, changed_at)."""

    class Meta:
        index_name = "resource-type-index"
        projection = ROW_PROJECTION

    g_resource_type = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class ProductIndex(GlobalSecondaryIndex):
    """``product-index``: (g_product, changed_at)."""

    class Meta:
        index_name = "product-index"
        projection = ROW_PROJECTION

    g_product = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class ResourceIndex(GlobalSecondaryIndex):
    """``resource-index``: (g_resource, changed_at)."""

    class Meta:
        index_name = "resource-index"
        projection = ROW_PROJECTION

    g_resource = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class TitleIndex(GlobalSecondaryIndex):
    """``title-index``: (g_title, changed_at)."""

    class Meta:
        index_name = "title-index"
        projection = ROW_PROJECTION

    g_title = UnicodeAttribute(hash_key=True)
    changed_at = UnicodeAttribute(range_key=True)


class FindingRow(MapAttribute):
    """``list_row``: the columns of a list row (`ROW_FIELDS`), projected into every index."""

    title = UnicodeAttribute(null=True)
    control_id = UnicodeAttribute(null=True)
    severity_label = UnicodeAttribute(null=True)
    compliance_status = UnicodeAttribute(null=True)
    workflow_status = UnicodeAttribute(null=True)
    record_state = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    region = UnicodeAttribute(null=True)
    resource_type = UnicodeAttribute(null=True)
    resource_id = UnicodeAttribute(null=True)
    product_name = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    first_observed_at = UnicodeAttribute(null=True)
    formats = ListAttribute(of=UnicodeAttribute, null=True)
    ocsf_status = UnicodeAttribute(null=True)


class LastRemediation(MapAttribute):
    """The latest remediation attempt of a finding (the full history is in executions)."""

    execution_id = UnicodeAttribute()
    status = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class FindingModel(OuroborosModel):
    """A normalized Security Hub finding (see the module docstring for keys and indexes)."""

    short_name: ClassVar[str] = "security_findings"

    class Meta(OuroborosModel.Meta):
        pass

    finding_id = UnicodeAttribute(hash_key=True)
    product_arn = UnicodeAttribute()
    product_name = UnicodeAttribute(null=True)
    generator_id = UnicodeAttribute(null=True)
    control_id = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute()
    region = UnicodeAttribute(null=True)
    severity_label = UnicodeAttribute()
    compliance_status = UnicodeAttribute(null=True)
    workflow_status = UnicodeAttribute(null=True)
    record_state = UnicodeAttribute()
    resource_type = UnicodeAttribute(null=True)
    resource_id = UnicodeAttribute(null=True)
    resource_ids = ListAttribute(of=UnicodeAttribute, null=True)
    created_at = UnicodeAttribute(null=True)
    first_observed_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()
    collected_at = UTCDateTimeAttribute(null=True)
    content_hash = UnicodeAttribute(null=True)
    raw = BinaryAttribute(null=True, legacy_encoding=False)
    last_remediation = LastRemediation(null=True)
    # Security Hub V2 (OCSF) beside ASFF: see the module docstring.
    formats = ListAttribute(of=UnicodeAttribute, null=True)
    source_format = UnicodeAttribute(null=True)
    asff_updated_at = UnicodeAttribute(null=True)
    ocsf_updated_at = UnicodeAttribute(null=True)
    content_hash_ocsf = UnicodeAttribute(null=True)
    raw_ocsf = BinaryAttribute(null=True, legacy_encoding=False)
    metadata_uid = UnicodeAttribute(null=True)
    ocsf_product_uid = UnicodeAttribute(null=True)
    ocsf_status_id = NumberAttribute(null=True)
    ocsf_status = UnicodeAttribute(null=True)

    # Index keys and the projected row, derived from the fields above by `finding_index_keys`.
    changed_at = UnicodeAttribute(null=True)
    list_row = FindingRow(null=True)
    g_state = UnicodeAttribute(null=True)
    severity_sort = UnicodeAttribute(null=True)
    g_severity = UnicodeAttribute(null=True)
    g_compliance = UnicodeAttribute(null=True)
    g_workflow = UnicodeAttribute(null=True)
    g_account = UnicodeAttribute(null=True)
    g_region = UnicodeAttribute(null=True)
    g_control = UnicodeAttribute(null=True)
    g_resource_type = UnicodeAttribute(null=True)
    g_product = UnicodeAttribute(null=True)
    g_resource = UnicodeAttribute(null=True)
    g_title = UnicodeAttribute(null=True)

    state_updated_index = StateUpdatedIndex()
    state_severity_index = StateSeverityIndex()
    state_observed_index = StateObservedIndex()
    severity_index = SeverityIndex()
    compliance_index = ComplianceIndex()
    workflow_index = WorkflowIndex()
    account_index = AccountIndex()
    region_index = RegionIndex()
    control_index = ControlIndex()
    resource_type_index = ResourceTypeIndex()
    product_index = ProductIndex()
    resource_index = ResourceIndex()
    title_index = TitleIndex()


def title_key(title: str) -> str:
    """The normalized form of a title used in ``g_title`` (case- and space-insensitive)."""
    return " ".join(title.lower().split())[:200]


def finding_index_keys(finding: FindingModel) -> None:
    """Set the index key attributes and ``list_row`` of ``finding`` from its normalized fields.

    ``changed_at`` is kept when set (the writer keeps the stored one when only timestamps moved,
    see `ouroboros.findings.items.item_changed_at_keep`), else it is ``updated_at``.
    """
    state = finding.record_state
    finding.changed_at = getattr(finding, "changed_at", None) or finding.updated_at

    def key(value: str | None) -> str | None:
        return f"{state}#{value}" if value else None

    finding.g_state = state
    rank = SEVERITY_RANK.get(finding.severity_label, 0)
    finding.severity_sort = f"{rank}#{finding.changed_at}"
    finding.g_severity = key(finding.severity_label)
    finding.g_compliance = key(finding.compliance_status)
    finding.g_workflow = key(finding.workflow_status)
    finding.g_account = key(finding.account_id)
    finding.g_region = key(finding.region)
    finding.g_control = key(finding.control_id)
    finding.g_resource_type = key(finding.resource_type)
    finding.g_product = key(finding.product_name)
    finding.g_resource = key(finding.resource_id)
    finding.g_title = key(title_key(finding.title)) if finding.title else None
    if isinstance(finding, FindingModel):
        finding.list_row = FindingRow(
            **{name: getattr(finding, name) for name in ROW_FIELDS if getattr(finding, name)}
        )


def item_list_row(item: dict[str, Any]) -> dict[str, Any]:
    """The ``list_row`` of a stored item in DynamoDB JSON (the item's `ROW_FIELDS` present)."""
    return {"M": {name: item[name] for name in ROW_FIELDS if name in item}}


def item_row_fields(item: dict[str, Any]) -> dict[str, Any]:
    """An item read from an index (DynamoDB JSON) with its ``list_row`` spread into fields.

    The fields take the row's values; an item without a row (not yet upgraded) is returned as
    it is.
    """
    row = item.get("list_row", {}).get("M")
    if not row:
        return item
    spread = {name: value for name, value in item.items() if name != "list_row"}
    spread.update(row)
    return spread


#: Items `finding_items_upgrade` updates in parallel.
UPGRADE_WORKERS = 8


def finding_items_upgrade(ddb: Any, table: str, *, segments: int = 4) -> int:
    """Give every item written before ``list_row`` its row, ``changed_at`` and severity key.

    A parallel Scan of the items without ``list_row``; each is updated only if its
    ``updated_at`` is still the one read (a collector writing it meanwhile writes a row itself).
    Returns the number of items upgraded. Idempotent: a second run finds nothing to do.
    """
    names = sorted({*ROW_FIELDS, "finding_id"})
    placeholders = {f"#a{i}": name for i, name in enumerate(names)}

    def segment(number: int) -> int:
        done = 0
        kwargs: dict[str, Any] = {
            "TableName": table,
            "Segment": number,
            "TotalSegments": segments,
            "FilterExpression": "attribute_not_exists(list_row) AND attribute_exists(updated_at)",
            "ProjectionExpression": ", ".join(placeholders),
            "ExpressionAttributeNames": placeholders,
        }
        while True:
            page = ddb.scan(**kwargs)
            for item in page.get("Items", []):
                done += _item_upgrade(ddb, table, item)
            if "LastEvaluatedKey" not in page:
                return done
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    with ThreadPoolExecutor(min(segments, UPGRADE_WORKERS)) as pool:
        return sum(pool.map(segment, range(segments)))


def _item_upgrade(ddb: Any, table: str, item: dict[str, Any]) -> int:
    updated = item["updated_at"]["S"]
    rank = SEVERITY_RANK.get(item.get("severity_label", {}).get("S", ""), 0)
    try:
        ddb.update_item(
            TableName=table,
            Key={"finding_id": item["finding_id"]},
            UpdateExpression="SET list_row = :row, changed_at = :at, severity_sort = :sort",
            ConditionExpression="updated_at = :at AND attribute_not_exists(list_row)",
            ExpressionAttributeValues={
                ":row": item_list_row(item),
                ":at": {"S": updated},
                ":sort": {"S": f"{rank}#{updated}"},
            },
        )
    except ddb.exceptions.ConditionalCheckFailedException:
        return 0  # written meanwhile by the collector, row and all
    return 1
