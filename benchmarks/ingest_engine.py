"""What DynamoDB Local's own CPU pays per finding for each way of storing findings.

    .venv/bin/python benchmarks/ingest_engine.py [--findings 3000] [--workers 4]

`benchmarks/ingest.py` shows the collector near 0.75 of the write-only ceiling, and that
DynamoDB Local works about one request at a time, so its CPU is what bounds both paths. This
script splits that CPU by request kind, on the same items the collector writes (built from the
real samples, untimed), each path into its own copy of the findings table, in one run:

- ``write_only``: BatchWriteItem of the items (the ceiling's work);
- ``get_then_write``: BatchGetItem of the same keys with the collector's projection (the read
  before the write; every key is new here, as in a first sync), then BatchWriteItem;
- ``transact_conditional``: TransactWriteItems of Puts conditioned on ``attribute_not_exists``
  (a read-free way to learn whether a finding is new: rejected, it costs more than the read).

Every path first runs once on ``--findings`` other items (DynamoDB Local's JIT); then the measured
items are cut into 5 rounds, each path runs on its part of each round, in an order that turns.
Prints JSON: wall seconds, this process's CPU and DynamoDB Local's CPU per path, the engine
milliseconds per item, and the engine-CPU ratio of each path to ``write_only`` (the baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ingest import CpuClock, bench_tables_ready, copy_table, synthesize  # noqa: E402

from emulator.dynamodb_local import dynamodb_local_start  # noqa: E402
from ouroboros.aws.dynamodb_batch import BatchStats, batch_get, batch_write, chunked  # noqa: E402
from ouroboros.findings.items import STORED_ATTRIBUTES, finding_item_build  # noqa: E402
from ouroboros.findings.services import finding_content, finding_writer_client  # noqa: E402
from ouroboros.models import FindingModel  # noqa: E402
from ouroboros.securityhub.asff import asff_parse  # noqa: E402

ROUNDS = 5
StorePath = Callable[[Any, list[dict[str, Any]], str, int], None]


def write_only(ddb: Any, items: list[dict[str, Any]], table: str, workers: int) -> None:
    with ThreadPoolExecutor(workers) as pool:
        batch_write(ddb, table, items, stats=BatchStats(), executor=pool)


def get_then_write(ddb: Any, items: list[dict[str, Any]], table: str, workers: int) -> None:
    def one_slice(part: list[dict[str, Any]]) -> None:
        keys = [{"finding_id": item["finding_id"]} for item in part]
        list(batch_get(ddb, table, keys, attributes=STORED_ATTRIBUTES))
        batch_write(ddb, table, part, stats=BatchStats())

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one_slice, chunked(items, 100)))


def transact_conditional(ddb: Any, items: list[dict[str, Any]], table: str, workers: int) -> None:
    def one_call(part: list[dict[str, Any]]) -> None:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(finding_id)",
                    }
                }
                for item in part
            ]
        )

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one_call, chunked(items, 100)))


PATHS: dict[str, StorePath] = {
    "write_only": write_only,
    "get_then_write": get_then_write,
    "transact_conditional": transact_conditional,
}


def run(n: int, workers: int, clock: CpuClock) -> dict[str, Any]:
    now = datetime.now(UTC)
    items = []
    for raw in synthesize(2 * len(PATHS) * n):
        finding = asff_parse(raw)
        items.append(finding_item_build(finding, now=now, content=finding_content(finding)).item)
    ddb = finding_writer_client()
    tables = {name: f"engine_{name}" for name in PATHS}
    for table in tables.values():
        copy_table(FindingModel.Meta.table_name, table)
    for k, (name, path) in enumerate(PATHS.items()):  # warm-up, untimed
        path(ddb, items[k * n : (k + 1) * n], tables[name], workers)
    totals = {name: [0.0, 0.0, 0.0] for name in PATHS}
    offset, part = len(PATHS) * n, n // ROUNDS
    names = list(PATHS)
    for round_ in range(ROUNDS):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            chunk = items[offset : offset + part]
            offset += part
            action = partial(PATHS[name], ddb, chunk, tables[name], workers)
            measured = clock.measure(action)
            totals[name] = [a + b for a, b in zip(totals[name], measured, strict=True)]
    per_path = {}
    measured_items = part * ROUNDS
    for name, (wall, own, engine) in totals.items():
        per_path[name] = {
            "wall_s": round(wall, 2),
            "own_cpu_s": round(own, 2),
            "dynamodb_local_cpu_s": round(engine, 2),
            "dynamodb_local_ms_per_item": round(engine / measured_items * 1000, 3),
            "engine_ratio_to_write_only": round(engine / totals["write_only"][2], 3),
        }
    return {
        "benchmark": "ingest_engine",
        "items_per_path": measured_items,
        "workers": workers,
        "paths": per_path,
        "read_ms_per_key": round(
            (totals["get_then_write"][2] - totals["write_only"][2]) / measured_items * 1000, 3
        ),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--findings", type=int, default=3000, help="items per path")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ouroboros-bench-") as tmp:
        server = dynamodb_local_start(Path(tmp), in_memory=True)
        try:
            bench_tables_ready(server.url, tmp)
            result = run(args.findings, args.workers, CpuClock(server.java_pid))
        finally:
            server.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
