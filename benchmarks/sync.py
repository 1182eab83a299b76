"""A first full findings sync of N findings across collector invocations, on a virtual clock.

    .venv/bin/python benchmarks/sync.py [--findings 1000000] [--budget 900] [--margin 60]
        [--token-age 0] [--sink memory|moto]

Seeds a local Security Hub store (`emulator.securityhub_store`, SQLite in a temporary folder)
with N findings generated lazily from one real sample (own ``Id``, ``UpdatedAt`` one second
apart), paced at AWS's 3 GetFindings a second (burst 6) on a `VirtualClock`. Then runs the real
collector (`findings_collect`, 100 findings a page) invocation after invocation, as the
``rate(15 minutes)`` schedule would: each invocation has ``--budget`` seconds of virtual time
(a Lambda's 900) and stops ``--margin`` seconds before; the next starts at the next schedule
tick and resumes from the checkpoint (kept in the sync state, in-process moto DynamoDB). With
``--token-age`` > 0 the store expires NextTokens older than that, so the resumes take the
``UpdatedAt`` fallback.

Where findings go (``--sink``): ``memory`` (default) stands in for the findings table with a map
of finding id -> content, written only when new or changed, as `finding_upsert_batch` does (the
findings table in DynamoDB Local would need ~34 GB for a million findings with today's
projections, issue 25 part 3); ``moto`` writes through the real `finding_upsert_batch` into
in-process moto (slow: for small N). Virtual time counts the paced reads only: writing overlaps
reading in the collector and is not the bottleneck at 300 findings a second.

Prints one JSON object: invocations, pages, GetFindings calls, findings read, findings stored
(distinct ids) and written (each exactly once when ``every_finding_once``), expired tokens,
simulated seconds / hours, and real seconds (seeding and sync apart) and CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator.securityhub_client import SecurityHubStoreClient  # noqa: E402
from emulator.securityhub_pacing import RequestPacer, VirtualClock  # noqa: E402
from emulator.securityhub_store import SecurityHubStore  # noqa: E402
from ouroboros.findings.services import FindingUpsertReport  # noqa: E402
from ouroboros.securityhub import collect_findings  # noqa: E402
from ouroboros.securityhub.asff import NormalizedFinding  # noqa: E402

SAMPLE = ROOT / "tests" / "events" / "asff_findings" / "asr_afsbp_s3.1.json"
BASE = datetime(2024, 1, 1, tzinfo=UTC)
#: The collector's schedule (deploy/functions.py): an invocation starts on each tick.
SCHEDULE_SECONDS = 900.0


def generated(count: int) -> Iterator[dict[str, Any]]:
    """``count`` findings made from one real sample, one at a time (never all in memory)."""
    sample = json.loads(SAMPLE.read_text())
    stem = sample["Id"].rsplit("/", 1)[0]
    created = BASE.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for n in range(count):
        stamp = (BASE + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        yield {**sample, "Id": f"{stem}/sync-{n:08d}", "CreatedAt": created, "UpdatedAt": stamp}


class MemorySink:
    """The findings table's stand-in: id -> content; a finding is written when new or changed."""

    def __init__(self) -> None:
        self.items: dict[str, int] = {}
        self.writes = 0

    def upsert_batch(
        self, *, findings: Iterable[NormalizedFinding], **_: Any
    ) -> FindingUpsertReport:
        report = FindingUpsertReport()
        for finding in findings:
            report.received += 1
            content = hash(json.dumps(finding.raw, sort_keys=True))
            known = self.items.get(finding.finding_id)
            if known == content:
                report.unchanged += 1
                continue
            report.created += known is None
            report.written += 1
            self.items[finding.finding_id] = content
        self.writes += report.written
        return report


def _environment(folder: Path) -> None:
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[key]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "OUROBOROS_DATA_DIR": str(folder / "data"),
            "OUROBOROS_SECURITYHUB_V2": "off",
        }
    )


def sync_simulate(
    *,
    findings: int,
    budget: float = 900.0,
    margin: float = 60.0,
    token_age: float | None = None,
    sink: str = "memory",
    folder: Path,
) -> dict[str, Any]:
    """Seed, then sync invocation after invocation until complete; the numbers (docstring)."""
    from moto import mock_aws

    from ouroboros.aws import reset_sessions
    from ouroboros.config import reset_config
    from ouroboros.models import FindingModel, bind_models
    from ouroboros.models.tables import tables_ensure

    clock = VirtualClock()
    store = SecurityHubStore(
        folder / "securityhub.sqlite3",
        pacer=RequestPacer(clock),
        token_max_age=token_age,
        enable_default_standards=False,
    )
    began = time.perf_counter()
    seeded = store.findings_seed(generated(findings))
    seed_seconds = time.perf_counter() - began
    hub = SecurityHubStoreClient(store)
    memory = MemorySink()
    real_upsert = collect_findings.finding_upsert_batch
    if sink == "memory":
        collect_findings.finding_upsert_batch = memory.upsert_batch  # type: ignore[assignment]
    reports = []
    try:
        with mock_aws():
            reset_config()
            reset_sessions()
            bind_models()
            tables_ensure("all")
            began, cpu = time.perf_counter(), time.process_time()
            run_now = datetime.now(UTC)
            while not reports or not reports[-1].complete:
                if reports:  # the next schedule tick
                    clock.advance(
                        SCHEDULE_SECONDS * math.ceil(clock.now() / SCHEDULE_SECONDS) - clock.now()
                    )
                deadline = clock.now() + budget
                reports.append(
                    collect_findings.findings_collect(
                        client=hub,
                        now=run_now,
                        time_left=lambda: deadline - clock.now(),  # noqa: B023 (one per run)
                        margin=margin,
                    )
                )
                if len(reports) > 10 * (1 + findings // 100):
                    raise SystemExit("the sync does not progress")
            sync_seconds, sync_cpu = time.perf_counter() - began, time.process_time() - cpu
            if sink == "moto":
                stored = sum(1 for _ in FindingModel.scan())
                writes = sum(r.written for r in reports)
            else:
                stored, writes = len(memory.items), memory.writes
    finally:
        collect_findings.finding_upsert_batch = real_upsert  # type: ignore[assignment]
        store.close()
    return {
        "findings": seeded,
        "sink": sink,
        "invocations": len(reports),
        "pages": sum(r.pages for r in reports),
        "get_findings_calls": hub.calls["GetFindings"],
        "read": sum(r.read for r in reports),
        "findings_stored": stored,
        "findings_written": writes,
        "every_finding_once": stored == seeded == writes,
        "expired_tokens": sum(r.expired_tokens for r in reports),
        "simulated_seconds": round(clock.now(), 1),
        "simulated_hours": round(clock.now() / 3600, 2),
        "budget_seconds": budget,
        "real_seed_seconds": round(seed_seconds, 1),
        "real_sync_seconds": round(sync_seconds, 1),
        "cpu_sync_seconds": round(sync_cpu, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=1_000_000)
    parser.add_argument("--budget", type=float, default=900.0, help="virtual s per invocation")
    parser.add_argument("--margin", type=float, default=60.0, help="stop this early (virtual s)")
    parser.add_argument("--token-age", type=float, default=0.0, help="expire tokens (0: never)")
    parser.add_argument("--sink", choices=("memory", "moto"), default="memory")
    args = parser.parse_args()
    if args.findings < 1 or args.budget <= args.margin:
        parser.error("--findings must be positive and --budget larger than --margin")
    with tempfile.TemporaryDirectory() as folder:
        _environment(Path(folder))
        result = sync_simulate(
            findings=args.findings,
            budget=args.budget,
            margin=args.margin,
            token_age=args.token_age or None,
            sink=args.sink,
            folder=Path(folder),
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
