"""Test and benchmark data: `FindingModel` items built from the real ASFF samples.

The findings write service belongs to the collectors; the read side is tested against items
written here the way that service writes them (normalized fields, index keys from
`finding_index_keys`, the raw ASFF zlib-compressed in ``raw``) plus the aggregate deltas of the
contract in `ouroboros.aggregates`.
"""

from __future__ import annotations

import copy
import json
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

from ouroboros.aggregates import aggregate_add_many
from ouroboros.aggregates.facets import facet_buckets
from ouroboros.models import FindingModel
from ouroboros.models.findings import finding_index_keys
from ouroboros.securityhub.catalog import catalog_lookup

SAMPLES_DIR = Path(__file__).parent / "events" / "asff_findings"


def sample_asffs() -> list[dict[str, Any]]:
    """Every real ASFF finding under tests/events/asff_findings, in file name order."""
    return [json.loads(path.read_text()) for path in sorted(SAMPLES_DIR.glob("*.json"))]


def sample_asff(name: str) -> dict[str, Any]:
    """One sample, e.g. ``asr_afsbp_s3.2.json``."""
    return json.loads((SAMPLES_DIR / name).read_text())


def asff_control_id(asff: dict[str, Any]) -> str | None:
    raw = (asff.get("Compliance") or {}).get("SecurityControlId") or (
        asff.get("ProductFields") or {}
    ).get("ControlId")
    if not raw:
        return None
    known = catalog_lookup(raw)
    return known.control_id if known else raw


def asff_product_name(asff: dict[str, Any]) -> str:
    return (
        asff.get("ProductName")
        or (asff.get("ProductFields") or {}).get("aws/securityhub/ProductName")
        or asff["ProductArn"].rsplit("/", 1)[-1]
    )


def finding_from_asff(asff: dict[str, Any], **overrides: Any) -> FindingModel:
    """A `FindingModel` (not saved) normalized from ``asff``; ``overrides`` change the ASFF first.

    Override keys are ASFF fields (``Id``, ``AwsAccountId``, ``UpdatedAt``...), plus
    ``severity``, ``compliance``, ``workflow``, ``resource_id`` for the nested ones.
    """
    asff = copy.deepcopy(asff)
    nested = {
        "severity": ("Severity", "Label"),
        "compliance": ("Compliance", "Status"),
        "workflow": ("Workflow", "Status"),
    }
    for key, value in overrides.items():
        if key in nested:
            outer, inner = nested[key]
            asff.setdefault(outer, {})[inner] = value
        elif key == "resource_id":
            asff["Resources"][0]["Id"] = value
        else:
            asff[key] = value
    resource = asff["Resources"][0]
    finding = FindingModel(
        asff["Id"],
        product_arn=asff["ProductArn"],
        product_name=asff_product_name(asff),
        generator_id=asff.get("GeneratorId"),
        control_id=asff_control_id(asff),
        title=asff.get("Title"),
        account_id=asff["AwsAccountId"],
        region=asff.get("Region") or resource.get("Region"),
        severity_label=asff["Severity"]["Label"],
        compliance_status=(asff.get("Compliance") or {}).get("Status"),
        workflow_status=(asff.get("Workflow") or {}).get("Status"),
        record_state=asff["RecordState"],
        resource_type=resource.get("Type"),
        resource_id=resource.get("Id"),
        resource_ids=[r["Id"] for r in asff["Resources"]],
        created_at=asff.get("CreatedAt"),
        first_observed_at=asff.get("FirstObservedAt"),
        updated_at=asff["UpdatedAt"],
        raw=zlib.compress(json.dumps(asff, separators=(",", ":")).encode()),
    )
    finding_index_keys(finding)
    return finding


def aggregate_deltas(findings: list[FindingModel]) -> dict[str, Counter[str]]:
    """The aggregate deltas of writing ``findings`` as new items (the documented contract)."""
    deltas: dict[str, Counter[str]] = {}

    def add(aggregate: str, bucket: str) -> None:
        deltas.setdefault(aggregate, Counter())[bucket] += 1

    for f in findings:
        state = f.record_state
        add("findings#state", state)
        add("findings#severity", f"{state}#{f.severity_label}")
        if f.compliance_status:
            add("findings#compliance", f"{state}#{f.compliance_status}")
        if f.workflow_status:
            add("findings#workflow", f"{state}#{f.workflow_status}")
        add("findings#account", f"{state}#{f.account_id}")
        if f.control_id:
            add("findings#control", f"{state}#{f.control_id}")
            if f.compliance_status == "FAILED":
                add("findings#control_failed", f"{state}#{f.control_id}")
        elif f.title:
            add("findings#title", f"{state}#{' '.join(f.title.lower().split())[:200]}")
        values = {
            "severity": f.severity_label,
            "compliance": f.compliance_status,
            "workflow": f.workflow_status,
            "account": f.account_id,
            "control": f.control_id,
        }
        for aggregate, bucket in facet_buckets(state, values, f.resource_id):
            add(aggregate, bucket)
    return deltas


def findings_write(findings: list[FindingModel]) -> list[FindingModel]:
    """Save ``findings`` (new items) and add their aggregate deltas."""
    with FindingModel.batch_write() as batch:
        for finding in findings:
            batch.save(finding)
    # One TransactWriteItems per 100 counters, as the writer does (not one UpdateItem each).
    aggregate_add_many(
        {
            (aggregate, bucket): count
            for aggregate, counter in aggregate_deltas(findings).items()
            for bucket, count in counter.items()
        }
    )
    return findings


def samples_write(**overrides: Any) -> list[FindingModel]:
    """Write every real sample once (with ``overrides``) and return the items."""
    return findings_write([finding_from_asff(a, **overrides) for a in sample_asffs()])
