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
``state-updated-index``     ``g_state``         ``updated_at``       (the default view)
``state-severity-index``    ``g_state``         ``severity_sort``    (``4#<updated>``)
``state-observed-index``    ``g_state``         ``first_observed_at``
``severity-index``          ``g_severity``      ``updated_at``
``compliance-index``        ``g_compliance``    ``updated_at``
``workflow-index``          ``g_workflow``      ``updated_at``
``account-index``           ``g_account``       ``updated_at``
``region-index``            ``g_region``        ``updated_at``
``control-index``           ``g_control``       ``updated_at``  (sparse: control findings only)
``resource-type-index``     ``g_resource_type`` ``updated_at``
``product-index``           ``g_product``       ``updated_at``
``resource-index``          ``g_resource``      ``updated_at``  (search by resource id / ARN)
``title-index``             ``g_title``         ``updated_at``  (search by title: the words are
                                                                 resolved to titles first)
==========================  ==================  =============================================

A second filter on top of one of these is a filter expression; sorting other than by update time
is offered on the unfiltered view (the ``state-*`` indexes).
"""

from __future__ import annotations

from typing import ClassVar

from pynamodb.attributes import (
    BinaryAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from ouroboros.models.base import OuroborosModel

SEVERITY_RANK = {"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1, "INFORMATIONAL": 0}


class StateUpdatedIndex(GlobalSecondaryIndex):
    """``state-updated-index``: (g_state, updated_at)."""

    class Meta:
        index_name = "state-updated-index"
        projection = AllProjection()

    g_state = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class StateSeverityIndex(GlobalSecondaryIndex):
    """``state-severity-index``: (g_state, severity_sort)."""

    class Meta:
        index_name = "state-severity-index"
        projection = AllProjection()

    g_state = UnicodeAttribute(hash_key=True)
    severity_sort = UnicodeAttribute(range_key=True)


class StateObservedIndex(GlobalSecondaryIndex):
    """``state-observed-index``: (g_state, first_observed_at)."""

    class Meta:
        index_name = "state-observed-index"
        projection = AllProjection()

    g_state = UnicodeAttribute(hash_key=True)
    first_observed_at = UnicodeAttribute(range_key=True)


class SeverityIndex(GlobalSecondaryIndex):
    """``severity-index``: (g_severity, updated_at)."""

    class Meta:
        index_name = "severity-index"
        projection = AllProjection()

    g_severity = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class ComplianceIndex(GlobalSecondaryIndex):
    """``compliance-index``: (g_compliance, updated_at)."""

    class Meta:
        index_name = "compliance-index"
        projection = AllProjection()

    g_compliance = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class WorkflowIndex(GlobalSecondaryIndex):
    """``workflow-index``: (g_workflow, updated_at)."""

    class Meta:
        index_name = "workflow-index"
        projection = AllProjection()

    g_workflow = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class AccountIndex(GlobalSecondaryIndex):
    """``account-index``: (g_account, updated_at)."""

    class Meta:
        index_name = "account-index"
        projection = AllProjection()

    g_account = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class RegionIndex(GlobalSecondaryIndex):
    """``region-index``: (g_region, updated_at)."""

    class Meta:
        index_name = "region-index"
        projection = AllProjection()

    g_region = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class ControlIndex(GlobalSecondaryIndex):
    """``control-index``: (g_control, updated_at)."""

    class Meta:
        index_name = "control-index"
        projection = AllProjection()

    g_control = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class ResourceTypeIndex(GlobalSecondaryIndex):
    """``resource-type-index``: (g_resource_type, updated_at)."""

    class Meta:
        index_name = "resource-type-index"
        projection = AllProjection()

    g_resource_type = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class ProductIndex(GlobalSecondaryIndex):
    """``product-index``: (g_product, updated_at)."""

    class Meta:
        index_name = "product-index"
        projection = AllProjection()

    g_product = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class ResourceIndex(GlobalSecondaryIndex):
    """``resource-index``: (g_resource, updated_at)."""

    class Meta:
        index_name = "resource-index"
        projection = AllProjection()

    g_resource = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class TitleIndex(GlobalSecondaryIndex):
    """``title-index``: (g_title, updated_at)."""

    class Meta:
        index_name = "title-index"
        projection = AllProjection()

    g_title = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


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

    # Index keys, derived from the fields above by `finding_index_keys`.
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
    """Set the index key attributes of ``finding`` from its normalized fields."""
    state = finding.record_state

    def key(value: str | None) -> str | None:
        return f"{state}#{value}" if value else None

    finding.g_state = state
    rank = SEVERITY_RANK.get(finding.severity_label, 0)
    finding.severity_sort = f"{rank}#{finding.updated_at}"
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
