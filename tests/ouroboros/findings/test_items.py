"""The item the findings writer builds equals what PynamoDB would serialize for the same finding."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

from ouroboros.findings.items import (
    RAW_COMPRESSION_LEVEL,
    canonical_json,
    finding_item_build,
    finding_raw,
)
from ouroboros.models import FindingModel
from ouroboros.models.findings import finding_index_keys
from ouroboros.securityhub.asff import NormalizedFinding
from tests.ouroboros.findings.conftest import parsed, sample_raws, variant

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _pynamodb_item(f: NormalizedFinding, digest: str) -> dict[str, Any]:
    model = FindingModel(
        f.finding_id,
        product_arn=f.product_arn,
        product_name=f.product_name,
        generator_id=f.generator_id,
        control_id=f.control_id,
        title=f.title,
        account_id=f.account_id,
        region=f.region,
        severity_label=f.severity_label,
        compliance_status=f.compliance_status,
        workflow_status=f.workflow_status,
        record_state=f.record_state,
        resource_type=f.resource_type,
        resource_id=f.resource_id,
        resource_ids=list(f.resource_ids),
        created_at=f.created_at,
        first_observed_at=f.first_observed_at,
        updated_at=f.updated_at,
        collected_at=NOW,
        content_hash=digest,
        raw=zlib.compress(canonical_json(f.raw), RAW_COMPRESSION_LEVEL),
        formats=["asff"],
        source_format="asff",
    )
    finding_index_keys(model)
    return model.serialize()


def test_items_match_pynamodb_serialization_for_every_sample() -> None:
    raws = sample_raws()
    raws.append(variant(raws[0], 1, RecordState="ARCHIVED"))
    for finding in parsed(raws):
        built = finding_item_build(finding, now=NOW)
        assert built.item == _pynamodb_item(finding, built.content_hash), finding.finding_id
        model = FindingModel.from_raw_data(built.item)
        assert finding_raw(model) == finding.raw


def test_content_hash_ignores_key_order_but_not_content() -> None:
    raw = sample_raws()[0]
    reordered = dict(reversed(list(raw.items())))
    (a, b) = parsed([raw, reordered])
    assert (
        finding_item_build(a, now=NOW).content_hash == finding_item_build(b, now=NOW).content_hash
    )
    changed = variant(raw, 0, Title="changed")
    changed["Id"] = raw["Id"]
    (c,) = parsed([changed])
    assert (
        finding_item_build(c, now=NOW).content_hash != finding_item_build(a, now=NOW).content_hash
    )
