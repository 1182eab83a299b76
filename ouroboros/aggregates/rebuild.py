"""Recount the findings and controls aggregates from the tables: the admin repair tool.

The writers keep ``security_aggregates`` and each control's ``failed_count`` up to date with
deltas (`ouroboros.findings.services`, `ouroboros.controls.services`). A crash between a write
and its deltas, two writers racing on one finding, or a bug can leave a counter off;
`aggregates_rebuild` recounts from the items and moves every counter that drifted to its true
value.

It is the one place the findings table is read whole: a paginated Scan, strongly consistent,
projecting only the fields the aggregates count by. Never on a request path; run it by hand
(``python manage.py aggregates_rebuild [--check]``) or from an operator's schedule.

What it recounts (the contract in `ouroboros.aggregates`):

- ``findings#state``, ``findings#severity``, ``findings#compliance``, ``findings#workflow``,
  ``findings#account``, ``findings#control``, ``findings#control_failed``, ``findings#title``
  (which it back-fills for findings stored before that aggregate existed), the facet counters
  ``findings#facet#<dimension>#<value>`` and ``findings#resource`` (`ouroboros.aggregates.facets`,
  back-filled the same way): from every item of
  ``security_findings``, with the same bucket rules the writer uses
  (`ouroboros.findings.items.state_buckets`);
- each control's ``failed_count`` (active FAILED findings of the control);
- ``controls`` / ``total``: the control items of ``security_controls`` (``kind-index``).

It leaves the remediation aggregates alone (``executions#day`` by outcome, ``executions#ttr``,
``executions#mttr``): each execution is counted once when it ends, a rollback takes its fix out
again (`ouroboros.aggregates.remediation`), and the findings table it scans does not hold them.

Corrections are ``ADD``s of (true - stored), not ``SET``s, so an ``ADD`` another writer makes while
the rebuild runs is not overwritten; the counts are exact when no writer ran during the Scan
(otherwise re-run ``--check``: what a concurrent writer moved shows up as drift, or not at all).
Idempotent: a second run finds no drift and writes nothing. ``check=True`` reports without writing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ouroboros.aggregates import aggregate_add_many
from ouroboros.aggregates.facets import (
    FACET_DIMENSIONS,
    FACET_PREFIX,
    RESOURCE_AGGREGATE,
    facet_aggregate_id,
)
from ouroboros.aws import client as aws_client
from ouroboros.aws.dynamodb_batch import batch_get, chunked
from ouroboros.controls.services import control_failed_count_actions
from ouroboros.findings.items import FindingState, state_buckets
from ouroboros.models import AggregateModel, ControlModel, FindingModel
from ouroboros.models.controls import KIND_CONTROL

FINDING_AGGREGATES = (
    "findings#state",
    "findings#severity",
    "findings#compliance",
    "findings#workflow",
    "findings#account",
    "findings#control",
    "findings#control_failed",
    "findings#title",
    RESOURCE_AGGREGATE,
)
CONTROLS_AGGREGATE = ("controls", "total")
_SCANNED = (
    "record_state",
    "severity_label",
    "compliance_status",
    "workflow_status",
    "account_id",
    "control_id",
    "title",
    "resource_id",
)


@dataclass(frozen=True)
class AggregateDrift:
    """One counter whose stored value is not what the items say."""

    aggregate_id: str
    bucket: str
    stored: int
    actual: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "aggregate": self.aggregate_id,
            "bucket": self.bucket,
            "stored": self.stored,
            "actual": self.actual,
        }


@dataclass
class AggregatesRebuildReport:
    """What the rebuild counted, what had drifted, and how many updates it made."""

    check: bool
    findings: int = 0
    controls: int = 0
    scan_pages: int = 0
    drift: list[AggregateDrift] = field(default_factory=list)
    updates: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "findings": self.findings,
            "controls": self.controls,
            "scan_pages": self.scan_pages,
            "drifted": len(self.drift),
            "drift": [d.as_dict() for d in self.drift],
            "updates": self.updates,
        }


def _scan_findings(ddb: Any, report: AggregatesRebuildReport) -> Iterator[dict[str, Any]]:
    names = {f"#a{i}": name for i, name in enumerate(_SCANNED)}
    paginator = ddb.get_paginator("scan")
    for page in paginator.paginate(
        TableName=FindingModel.Meta.table_name,
        ProjectionExpression=", ".join(names),
        ExpressionAttributeNames=names,
        ConsistentRead=True,
    ):
        report.scan_pages += 1
        yield from page.get("Items", [])


def _read_counters(aggregate_id: str, stored: dict[tuple[str, str], int]) -> None:
    for item in AggregateModel.query(aggregate_id, consistent_read=True):
        if item.value is None:
            stored[(aggregate_id, item.bucket)] = int(item.total or 0)


def _stored_counters(actual_ids: set[str]) -> dict[tuple[str, str], int]:
    stored: dict[tuple[str, str], int] = {}
    for aggregate_id in (*FINDING_AGGREGATES, CONTROLS_AGGREGATE[0]):
        _read_counters(aggregate_id, stored)
    # The facet aggregates are one per (dimension, value): those a value was ever counted in
    # (``findings#<dimension>`` buckets, zero or not) and those the items hold now.
    facet_ids = {
        aggregate_id for aggregate_id in actual_ids if aggregate_id.startswith(FACET_PREFIX)
    }
    for (aggregate_id, bucket), _ in list(stored.items()):
        dimension = aggregate_id.removeprefix("findings#")
        if dimension in FACET_DIMENSIONS:
            facet_ids.add(facet_aggregate_id(dimension, bucket.partition("#")[2]))
    for aggregate_id in sorted(facet_ids):
        _read_counters(aggregate_id, stored)
    return stored


def _stored_failed_counts(ddb: Any, control_ids: set[str]) -> tuple[dict[str, int], int]:
    """(control id -> stored failed_count, number of catalog controls)."""
    stored: dict[str, int] = {}
    catalog = 0
    for control in ControlModel.kind_index.query(
        KIND_CONTROL, attributes_to_get=["control_id", "sk", "kind", "failed_count"]
    ):
        catalog += 1
        stored[control.control_id] = int(control.failed_count or 0)
    # Controls the catalog does not hold yet may carry a bare failed_count item (no kind).
    missing = sorted(control_ids - stored.keys())
    keys = [{"control_id": {"S": cid}, "sk": {"S": KIND_CONTROL}} for cid in missing]
    for chunk in chunked(keys, 100):
        for item in batch_get(
            ddb, ControlModel.Meta.table_name, chunk, attributes=("control_id", "failed_count")
        ):
            stored[item["control_id"]["S"]] = int(item.get("failed_count", {}).get("N", "0"))
    return stored, catalog


def aggregates_rebuild(*, check: bool = False, client: Any = None) -> AggregatesRebuildReport:
    """Recount the aggregates from the tables; fix what drifted unless ``check`` (module doc)."""
    ddb = client or aws_client("dynamodb")
    report = AggregatesRebuildReport(check=check)
    actual: Counter[tuple[str, str]] = Counter()
    failing: Counter[str] = Counter()
    control_ids: set[str] = set()
    for item in _scan_findings(ddb, report):
        report.findings += 1
        state = FindingState.from_item(item)
        actual.update(state_buckets(state))
        if state.control_id:
            control_ids.add(state.control_id)
        if state.failing and state.control_id:
            failing[state.control_id] += 1
    stored = _stored_counters({aggregate_id for aggregate_id, _ in actual})
    stored_failed, report.controls = _stored_failed_counts(ddb, control_ids)
    actual[CONTROLS_AGGREGATE] = report.controls

    deltas: dict[tuple[str, str], int] = {}
    for key in sorted(actual.keys() | stored.keys()):
        true, kept = actual.get(key, 0), stored.get(key, 0)
        if true != kept:
            report.drift.append(AggregateDrift(key[0], key[1], kept, true))
            deltas[key] = true - kept
    failed_deltas: dict[str, int] = {}
    for control_id in sorted(failing.keys() | stored_failed.keys()):
        true, kept = failing.get(control_id, 0), stored_failed.get(control_id, 0)
        if true != kept:
            report.drift.append(AggregateDrift("control#failed_count", control_id, kept, true))
            failed_deltas[control_id] = true - kept
    if not check and (deltas or failed_deltas):
        report.updates = aggregate_add_many(
            deltas,
            client=ddb,
            now=datetime.now(UTC),
            also=control_failed_count_actions(failed_deltas),
        )
    return report
