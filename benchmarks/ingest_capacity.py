"""Capacity units per finding: today's findings indexes against the ones before issue 25.

Used by `benchmarks/ingest.py` (its ``capacity`` section; ``--capacity-only`` runs just this).
DynamoDB Local returns ``ConsumedCapacity`` per table and per index when asked
(``ReturnConsumedCapacity=INDEXES``), charging as DynamoDB does: a key change in an index is a
delete and a put, an index whose projected attributes did not change is not written at all.

Two tables, built in the same run on the same DynamoDB Local:

- ``before``: the indexes as they were before issue 25 (every projection ALL, 12 indexes sorted
  by ``updated_at``, ``severity_sort`` = ``<rank>#<updated_at>``), written the items the previous
  version wrote (no ``list_row`` / ``changed_at``: a hook rewrites each BatchWriteItem);
- ``now``: the model's indexes (`ouroboros.models.findings`).

The collector's writer (`finding_upsert_batch`, BatchGetItem then BatchWriteItem) stores the same
N synthetic findings into each table three times: **new** (first sync), **re-evaluated** (only
``UpdatedAt`` / ``LastObservedAt`` / ``ProcessedAt`` moved, as a Security Hub re-evaluation
does), **changed** (the workflow status changed too). A botocore hook on the writer's client adds
``ReturnConsumedCapacity=INDEXES`` and sums what comes back, for the findings table only (the
aggregates' writes are apart and equal in both). Production code is not touched.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from ouroboros.aws import client
from ouroboros.findings import services as finding_services
from ouroboros.models import FindingModel
from ouroboros.models.findings import SEVERITY_RANK
from ouroboros.securityhub.asff import asff_parse

PHASES = ("new", "re_evaluated", "changed")
VARIANTS = ("before", "now")
_TIMESTAMPS = ("UpdatedAt", "LastObservedAt", "ProcessedAt")


def indexes_before() -> list[dict[str, Any]]:
    """The findings GSIs before issue 25: the model's names and hash keys, ``updated_at`` where
    the model sorts by ``changed_at``, every projection ALL."""
    out = []
    for index in FindingModel._get_schema()["global_secondary_indexes"]:
        keys = [
            {**k, "AttributeName": "updated_at"} if k["AttributeName"] == "changed_at" else k
            for k in sorted(index["key_schema"], key=lambda k: k["KeyType"])
        ]
        out.append(
            {
                "IndexName": index["index_name"],
                "KeySchema": keys,
                "Projection": {"ProjectionType": "ALL"},
            }
        )
    return out


def indexes_now() -> list[dict[str, Any]]:
    """The model's findings GSIs."""
    return [
        {
            "IndexName": index["index_name"],
            "KeySchema": sorted(index["key_schema"], key=lambda k: k["KeyType"]),
            "Projection": index["projection"],
        }
        for index in FindingModel._get_schema()["global_secondary_indexes"]
    ]


def item_before(item: dict[str, Any]) -> None:
    """Turn an item of today's writer into the one the previous version wrote, in place."""
    item.pop("list_row", None)
    item.pop("changed_at", None)
    if "severity_sort" in item:
        rank = SEVERITY_RANK.get(item.get("severity_label", {}).get("S", ""), 0)
        item["severity_sort"] = {"S": f"{rank}#{item['updated_at']['S']}"}


def _table_create(name: str, indexes: list[dict[str, Any]]) -> None:
    ddb = client("dynamodb")
    attributes = {k["AttributeName"] for i in indexes for k in i["KeySchema"]} | {"finding_id"}
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "finding_id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=indexes,
    )
    ddb.get_waiter("table_exists").wait(TableName=name)


class CapacityMeter:
    """Sums ``ConsumedCapacity`` of one table, reads and writes apart, table and each index."""

    def __init__(self, table: str, *, rewrite_before: bool) -> None:
        self.table = table
        self.rewrite_before = rewrite_before
        self.lock = threading.Lock()
        self.read: dict[str, float] = defaultdict(float)
        self.write: dict[str, float] = defaultdict(float)

    def reset(self) -> None:
        with self.lock:
            self.read.clear()
            self.write.clear()

    def before_call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "INDEXES"
        if self.rewrite_before and model.name == "BatchWriteItem":
            for request in params.get("RequestItems", {}).get(self.table, []):
                if "PutRequest" in request:
                    item_before(request["PutRequest"]["Item"])

    def after_call(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        consumed = parsed.get("ConsumedCapacity") or []
        if isinstance(consumed, dict):
            consumed = [consumed]
        sums = (
            self.write if model.name in ("BatchWriteItem", "PutItem", "UpdateItem") else self.read
        )
        with self.lock:
            for entry in consumed:
                if entry.get("TableName") != self.table:
                    continue
                sums["table"] += entry.get("Table", {}).get("CapacityUnits", 0.0)
                for name, used in (entry.get("GlobalSecondaryIndexes") or {}).items():
                    sums[name] += used.get("CapacityUnits", 0.0)

    @contextmanager
    def attached(self, ddb: Any) -> Iterator[None]:
        events = ddb.meta.events
        events.register_first("provide-client-params.dynamodb", self.before_call)
        events.register("after-call.dynamodb", self.after_call)
        try:
            yield
        finally:
            events.unregister("provide-client-params.dynamodb", self.before_call)
            events.unregister("after-call.dynamodb", self.after_call)

    def per_finding(self, n: int) -> dict[str, Any]:
        indexes = {k: round(v / n, 3) for k, v in sorted(self.write.items()) if k != "table"}
        return {
            "read_units": round(sum(self.read.values()) / n, 3),
            "write_units": round(sum(self.write.values()) / n, 3),
            "write_units_table": round(self.write.get("table", 0.0) / n, 3),
            "write_units_indexes": round(sum(indexes.values()), 3),
            "write_units_per_index": indexes,
        }


def _phases(raws: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The same findings as first seen, re-evaluated (timestamps only), and changed."""

    def moved(raw: dict[str, Any], hours: int) -> dict[str, Any]:
        out = copy.deepcopy(raw)
        stamp = datetime.strptime(raw["UpdatedAt"], "%Y-%m-%dT%H:%M:%S.%fZ") + timedelta(
            hours=hours
        )
        for name in _TIMESTAMPS:
            out[name] = stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return out

    first = [moved(raw, 0) for raw in raws]
    again = [moved(raw, 1) for raw in raws]
    changed = [moved(raw, 2) for raw in raws]
    for raw in changed:
        status = raw.get("Workflow", {}).get("Status")
        raw["Workflow"] = {"Status": "NOTIFIED" if status != "NOTIFIED" else "RESOLVED"}
    return {"new": first, "re_evaluated": again, "changed": changed}


def capacity_measure(raws: list[dict[str, Any]]) -> dict[str, Any]:
    """Units per finding of each phase in each variant (module docstring), and the ratios."""
    n = len(raws)
    phases = _phases(raws)
    ddb = finding_services.finding_writer_client()
    base = FindingModel.Meta.table_name
    result: dict[str, Any] = {"n": n}
    for variant in VARIANTS:
        table = f"{base}_capacity_{variant}"
        _table_create(table, indexes_before() if variant == "before" else indexes_now())
        meter = CapacityMeter(table, rewrite_before=variant == "before")
        FindingModel.Meta.table_name = table
        try:
            with meter.attached(ddb):
                result[variant] = {}
                for phase in PHASES:
                    meter.reset()
                    finding_services.finding_upsert_batch(
                        findings=[asff_parse(raw) for raw in phases[phase]],
                        now=datetime.now(UTC),
                        client=ddb,
                    )
                    result[variant][phase] = meter.per_finding(n)
        finally:
            FindingModel.Meta.table_name = base
    result["write_ratio_now_to_before"] = {
        phase: round(
            result["now"][phase]["write_units"] / result["before"][phase]["write_units"], 3
        )
        for phase in PHASES
    }
    return result
