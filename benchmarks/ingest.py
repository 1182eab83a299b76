"""Findings ingest throughput: the collector path vs the raw BatchWriteItem ceiling, same run.

    .venv/bin/python benchmarks/ingest.py [--findings 20000] [--source synthetic] [--rounds 8]

Starts its own DynamoDB Local in memory (127.0.0.1), creates the tables, and synthesizes N
findings from the real samples in ``tests/events`` (ids, accounts, resources, severities,
compliance / workflow / record states varied; seeded, so runs are comparable). Then:

1. ceiling: the same items the collector writes (built beforehand, untimed) put with nothing but
   ``batch_write_item`` calls (and the re-send of ``UnprocessedItems``) into a copy of the
   findings table (same keys, indexes and projections, created the same way), three ways: a plain
   low-level client on as many threads as the collector uses, the same on one thread, and the
   collector's own client (client-side parameter validation off) on as many threads;
2. collector: `findings_ingest` over the source's pages (parse, hash, BatchGet, compare, build,
   BatchWrite, aggregates) into the real findings table;
3. re-run: the same pages again; every DynamoDB write call is counted (should be 0).

Before anything is timed, every path runs once over the same 2,000 extra findings into its own
table, so DynamoDB Local's JIT has compiled every request type each path sends and every table
holds as many items. The N findings are then cut into ``--rounds`` parts; each round runs every
path on its part, in an order that turns each round, so load from elsewhere on the machine falls
on all paths alike.

4. capacity (`benchmarks/ingest_capacity.py`): read and write units per new, re-evaluated (only
   the timestamps moved) and changed finding, table and each index apart, for the findings
   indexes before issue 25 and today's, same run (``--capacity-findings``, 0 to skip;
   ``--capacity-only`` runs just this part).

Prints one JSON object: findings/s of each path, ``ratio`` = collector / the fastest of the three
ceilings (and per round), the ratio against the plain-client ceilings only, and the writes of the
unchanged re-run. On a machine shared with other work wall time is noisy, so the CPU seconds each
path cost (this process plus the DynamoDB Local process) are reported too, with ``cpu_ratio`` =
ceiling CPU / collector CPU per finding (fastest ceiling by CPU).
``--source`` picks where findings come from: ``synthetic`` (in memory) or ``securityhub``
(GetFindings from the Security Hub at ``AWS_ENDPOINT_URL_SECURITYHUB``, or else from a local
Security Hub the benchmark starts in its own process, seeded with the synthetic findings through
BatchImportFindings, untimed, before each round). The ceiling never reads Security Hub, so with
``securityhub`` the ratio also carries the cost of serving and parsing GetFindings on the same
machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest_capacity import capacity_measure  # noqa: E402

from emulator.dynamodb_local import dynamodb_local_start  # noqa: E402
from ouroboros.aws import client, reset_sessions  # noqa: E402
from ouroboros.aws.dynamodb_batch import BatchStats, batch_write  # noqa: E402
from ouroboros.config import reset_config  # noqa: E402
from ouroboros.findings import services as finding_services  # noqa: E402
from ouroboros.findings.items import finding_item_build  # noqa: E402
from ouroboros.models import FindingModel, bind_models  # noqa: E402
from ouroboros.models.tables import tables_ensure  # noqa: E402
from ouroboros.securityhub.asff import asff_parse  # noqa: E402
from ouroboros.securityhub.collect_findings import (  # noqa: E402
    PAGE_SIZE,
    FindingsCollectReport,
    _get_findings_pages,
    findings_filters,
    findings_ingest,
)

EVENTS = ROOT / "tests" / "events"
WRITE_OPERATIONS = {"BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}
SEVERITIES = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
WORKFLOWS = ["NEW", "NEW", "NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"]

Page = Sequence[dict[str, Any]]


def sample_findings() -> list[dict[str, Any]]:
    """The real ASFF samples: every findings file and every finding inside the events."""
    raws = [json.loads(p.read_text()) for p in sorted((EVENTS / "asff_findings").glob("*.json"))]
    for path in sorted((EVENTS / "eventbridge_events").glob("*.json")):
        raws += json.loads(path.read_text())["detail"]["findings"]
    return raws


def synthesize(n: int, seed: int = 42) -> list[dict[str, Any]]:
    """``n`` findings shaped like the samples, with varied ids, accounts, resources, states."""
    rng = random.Random(seed)
    samples = sample_findings()
    accounts = [f"{100000000000 + k * 1111111:012d}" for k in range(20)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        base = samples[i % len(samples)]
        account = rng.choice(accounts)
        text = json.dumps(base).replace(base["AwsAccountId"], account)
        raw = json.loads(text)
        raw["Id"] = f"{raw['Id'].rsplit('/', 1)[0]}/{uuid.UUID(int=rng.getrandbits(128))}"
        raw["Resources"][0]["Id"] = f"{raw['Resources'][0]['Id']}-{rng.randrange(5000)}"
        raw["Severity"] = {"Label": rng.choice(SEVERITIES)}
        if "Compliance" in raw:
            raw["Compliance"]["Status"] = "FAILED" if rng.random() < 0.7 else "PASSED"
        raw["Workflow"] = {"Status": rng.choice(WORKFLOWS)}
        raw["RecordState"] = "ARCHIVED" if rng.random() < 0.1 else "ACTIVE"
        raw["UpdatedAt"] = (start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        out.append(raw)
    return out


def pages_of(findings: Sequence[dict[str, Any]]) -> Callable[[], Iterator[Page]]:
    """A synthetic source: the findings in GetFindings-sized pages."""

    def pages() -> Iterator[Page]:
        for start in range(0, len(findings), PAGE_SIZE):
            yield findings[start : start + PAGE_SIZE]

    return pages


def securityhub_source(
    findings: Sequence[dict[str, Any]], *, seed: bool = True
) -> Callable[[], Iterator[Page]]:
    """Seed the Security Hub at the configured endpoint, then read them back with GetFindings.

    The read covers the ``UpdatedAt`` range of ``findings`` only (synthetic findings have
    increasing timestamps), so findings seeded earlier (the warm-up) are not read again.
    """
    if not os.environ.get("AWS_ENDPOINT_URL_SECURITYHUB"):
        raise SystemExit("--source securityhub needs AWS_ENDPOINT_URL_SECURITYHUB (local hub)")
    hub = client("securityhub")
    if seed:
        for start in range(0, len(findings), 100):
            hub.batch_import_findings(Findings=list(findings[start : start + 100]))
    stamps = sorted(f["UpdatedAt"] for f in findings)
    filters = findings_filters(start=stamps[0], end=stamps[-1])
    return lambda: _get_findings_pages(hub, filters)


HUB_SERVER = """
import sys
from pathlib import Path
from emulator.securityhub_server import SecurityHubServer
from emulator.securityhub_store import SecurityHubStore
server = SecurityHubServer(SecurityHubStore(Path(sys.argv[1]) / "securityhub.sqlite3")).start()
print(server.url, flush=True)
sys.stdin.read()
server.stop()
"""


def securityhub_start(folder: Path) -> subprocess.Popen[str]:
    """A local Security Hub in its own process (its CPU not in this process's GIL)."""
    process = subprocess.Popen(
        [sys.executable, "-c", HUB_SERVER, str(folder)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    os.environ["AWS_ENDPOINT_URL_SECURITYHUB"] = process.stdout.readline().strip()
    return process


def copy_table(source: str, name: str) -> None:
    """An empty table with the keys and indexes of ``source``."""
    ddb = client("dynamodb")
    table = ddb.describe_table(TableName=source)["Table"]
    ddb.create_table(
        TableName=name,
        KeySchema=table["KeySchema"],
        AttributeDefinitions=table["AttributeDefinitions"],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {k: gsi[k] for k in ("IndexName", "KeySchema", "Projection")}
            for gsi in table.get("GlobalSecondaryIndexes", [])
        ],
    )
    ddb.get_waiter("table_exists").wait(TableName=name)


class WriteCounter:
    """Counts write calls on every DynamoDB client in play (low-level and PynamoDB's)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, model: Any, **_: Any) -> None:
        if model.name in WRITE_OPERATIONS:
            self.calls += 1

    def attach(self) -> None:
        for events in self._emitters():
            events.register("before-call.dynamodb", self)

    def detach(self) -> None:
        for events in self._emitters():
            events.unregister("before-call.dynamodb", self)

    @staticmethod
    def _emitters() -> Iterable[Any]:
        yield client("dynamodb").meta.events
        yield finding_services.finding_writer_client().meta.events
        yield FindingModel._get_connection().connection.client.meta.events


class CpuClock:
    """CPU seconds of this process and of the DynamoDB Local process, and wall seconds."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def read(self) -> tuple[float, float, float]:
        times = os.times()
        fields = Path(f"/proc/{self.server_pid}/stat").read_text().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / self.tick
        return time.perf_counter(), times.user + times.system, server

    def measure(self, action: Callable[[], object]) -> tuple[float, float, float]:
        """(wall, this process's CPU, DynamoDB Local's CPU) seconds of ``action``."""
        before = self.read()
        action()
        after = self.read()
        wall, own, server = (a - b for a, b in zip(after, before, strict=True))
        return wall, own, server


def ceiling_write(
    ddb: Any, items: list[dict[str, Any]], table: str, pool: ThreadPoolExecutor | None
) -> None:
    """Plain batch_write_item calls of ``items`` (the same retry loop, nothing else)."""
    batch_write(ddb, table, items, stats=BatchStats(), executor=pool)


CEILINGS = ("ceiling_parallel", "ceiling_serial", "ceiling_writer_client")
PATHS = (*CEILINGS, "collector")
WARMUP = 2000


def run(
    n: int, source: str, batch_size: int, workers: int, rounds: int, clock: CpuClock
) -> dict[str, Any]:
    findings = synthesize(n + WARMUP)
    warmup, findings = findings[:WARMUP], findings[WARMUP:]
    now = datetime.now(UTC)
    table = FindingModel.Meta.table_name
    for name in CEILINGS:
        copy_table(table, f"{table}_{name}")
    items = [finding_item_build(asff_parse(raw), now=now).item for raw in findings]
    warm_items = [finding_item_build(asff_parse(raw), now=now).item for raw in warmup]
    size = -(-n // rounds)
    parts = [(findings[i : i + size], items[i : i + size]) for i in range(0, n, size)]
    plain, tuned = client("dynamodb"), finding_services.finding_writer_client()
    elapsed = {name: [0.0, 0.0, 0.0] for name in PATHS}
    per_round: list[float] = []
    report = FindingsCollectReport()
    with ThreadPoolExecutor(workers) as pool:

        def steps(raws: Sequence[dict[str, Any]], part: list[dict[str, Any]], into: Any) -> Any:
            pages = pages_of(raws) if source == "synthetic" else securityhub_source(raws)
            yield from (
                (name, partial(ceiling_write, ddb, part, f"{table}_{name}", threads))
                for name, ddb, threads in (
                    ("ceiling_parallel", plain, pool),
                    ("ceiling_serial", plain, None),
                    ("ceiling_writer_client", tuned, pool),
                )
            )
            collect = partial(
                findings_ingest, pages=pages(), now=now, batch_size=batch_size, report=into
            )
            yield "collector", collect

        for _, step in steps(warmup, warm_items, FindingsCollectReport()):
            step()  # every path once, untimed: JIT warm-up, equal table sizes
        # The benchmark's own data (every finding, raw and built) would otherwise be rescanned by
        # each full garbage collection, a cost that grows with N and that a collector holding one
        # batch at a time does not pay: set it aside from every path's measurement.
        gc.collect()
        gc.freeze()
        # Interleaved rounds, the order turning each round, so load from elsewhere on the
        # machine falls on every path alike.
        for index, (raws, part) in enumerate(parts):
            ordered = list(steps(raws, part, report))
            took: dict[str, float] = {}
            for name, step in ordered[index % 4 :] + ordered[: index % 4]:
                measured = clock.measure(step)
                took[name] = measured[0]
                elapsed[name] = [a + b for a, b in zip(elapsed[name], measured, strict=True)]
            per_round.append(round(min(took[c] for c in CEILINGS) / took["collector"], 3))

    counter = WriteCounter()
    counter.attach()
    all_pages = (
        pages_of(findings) if source == "synthetic" else securityhub_source(findings, seed=False)
    )
    again = FindingsCollectReport()
    rerun_s = clock.measure(
        lambda: findings_ingest(pages=all_pages(), now=now, batch_size=batch_size, report=again)
    )[0]
    counter.detach()

    rate = {name: n / wall for name, (wall, _, _) in elapsed.items()}
    cpu_ms = {name: 1000 * (own + server) / n for name, (_, own, server) in elapsed.items()}
    best = max(rate[c] for c in CEILINGS)
    best_plain = max(rate["ceiling_parallel"], rate["ceiling_serial"])
    return {
        "n": n,
        "source": source,
        "batch_size": batch_size,
        "write_workers": workers,
        "rounds": len(parts),
        **{f"{name}_findings_per_s": round(rate[name], 1) for name in PATHS},
        "ratio": round(rate["collector"] / best, 3),
        "ratio_per_round": per_round,
        "ratio_vs_plain_client_ceiling": round(rate["collector"] / best_plain, 3),
        **{f"{name}_cpu_ms_per_finding": round(cpu_ms[name], 3) for name in PATHS},
        **{
            f"{name}_cpu_s": {"own": round(own, 2), "dynamodb_local": round(server, 2)}
            for name, (_, own, server) in elapsed.items()
        },
        "cpu_ratio": round(min(cpu_ms[c] for c in CEILINGS) / cpu_ms["collector"], 3),
        "collector": report.as_dict(),
        "rerun_findings_per_s": round(n / rerun_s, 1),
        "rerun_written": again.written,
        "rerun_unchanged": again.unchanged,
        "rerun_write_calls": counter.calls,
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


def bench_tables_ready(dynamodb_url: str, data_dir: str) -> None:
    """Point this process at the benchmark's DynamoDB Local and create the consumer tables."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_url,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "OUROBOROS_STAGE": "bench",
            "OUROBOROS_DATA_DIR": data_dir,
        }
    )
    reset_config()
    reset_sessions()
    bind_models()
    tables_ensure("consumer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--findings", "--n", dest="n", type=int, default=20_000)
    parser.add_argument("--source", choices=["synthetic", "securityhub"], default="synthetic")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=finding_services.WRITE_WORKERS)
    parser.add_argument("--rounds", type=int, default=8, help="interleaved measurement rounds")
    parser.add_argument(
        "--capacity-findings",
        type=int,
        default=1000,
        help="findings of the capacity part (0: skip)",
    )
    parser.add_argument("--capacity-only", action="store_true", help="only the capacity part")
    args = parser.parse_args()
    finding_services.WRITE_WORKERS = args.workers
    with tempfile.TemporaryDirectory(prefix="ouroboros-bench-") as tmp:
        server = dynamodb_local_start(Path(tmp), in_memory=True)
        hub: subprocess.Popen[str] | None = None
        try:
            bench_tables_ready(server.url, tmp)
            if args.source == "securityhub" and not os.environ.get("AWS_ENDPOINT_URL_SECURITYHUB"):
                hub = securityhub_start(Path(tmp))
            clock = CpuClock(server.java_pid)
            result: dict[str, Any] = {}
            if not args.capacity_only:
                result = run(args.n, args.source, args.batch_size, args.workers, args.rounds, clock)
            if args.capacity_findings > 0:
                result["capacity"] = capacity_measure(synthesize(args.capacity_findings, seed=7))
        finally:
            if hub is not None:
                assert hub.stdin is not None
                hub.stdin.close()
                hub.wait(30)
            server.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
