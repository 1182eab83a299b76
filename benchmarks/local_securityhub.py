"""Throughput of the local Security Hub over HTTP and of the event bus's pattern matching.

N findings (default 20,000), synthetic from the real samples in tests/events, are imported with
boto3 BatchImportFindings (100 per call) into a fresh local Security Hub, read back with the
incremental-sync query a collector makes (RecordState ACTIVE, UpdatedAt since a watermark, sorted
ascending, 100 per page), and 1,000 of them updated with BatchUpdateFindings; every import and
update emits its Imported event onto a local bus whose subscription counts them. Also measures
matching the remediation pattern against the real Imported event. Prints JSON.

    .venv/bin/python benchmarks/local_securityhub.py [--findings 20000]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator.bus import EventBus  # noqa: E402
from emulator.endpoints import LOCAL_CREDENTIALS  # noqa: E402
from emulator.event_pattern import event_pattern_matches  # noqa: E402
from emulator.securityhub_findings import imported_event  # noqa: E402
from emulator.securityhub_server import SecurityHubServer  # noqa: E402
from emulator.securityhub_store import SecurityHubStore  # noqa: E402

SAMPLES = ROOT / "tests" / "events" / "asff_findings"
PATTERN = {
    "source": ["aws.securityhub"],
    "detail-type": ["Security Hub Findings - Imported"],
    "detail": {
        "findings": {
            "Compliance": {"Status": ["FAILED"]},
            "RecordState": ["ACTIVE"],
            "Workflow": {"Status": ["NEW"]},
        }
    },
}


def synthetic(count: int) -> list[dict[str, Any]]:
    samples = [json.loads(p.read_text()) for p in sorted(SAMPLES.glob("*.json"))]
    base = datetime(2024, 1, 1, tzinfo=UTC)
    findings = []
    for n in range(count):
        finding = copy.deepcopy(samples[n % len(samples)])
        finding["Id"] = f"{finding['Id']}-{n:07d}"
        finding["AwsAccountId"] = "111111111111" if n % 2 else "222222222222"
        moment = base + timedelta(seconds=n)
        finding["UpdatedAt"] = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        findings.append(finding)
    return findings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=20_000)
    count = parser.parse_args().findings
    findings = synthetic(count)
    with tempfile.TemporaryDirectory() as folder:
        bus = EventBus(Path(folder), mirror_moto=False).start()
        events: list[int] = []
        bus.subscribe("count", {"source": ["aws.securityhub"]}, lambda e: events.append(1))
        store = SecurityHubStore(
            Path(folder) / "securityhub.sqlite3",
            on_findings_changed=lambda changed: [
                bus.publish(imported_event(f, account="123456789012", region="us-east-1"))
                for f in changed
            ],
        )
        server = SecurityHubServer(store).start()
        client = boto3.client(
            "securityhub",
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        try:
            began = time.perf_counter()
            for start in range(0, count, 100):
                client.batch_import_findings(Findings=findings[start : start + 100])
            import_seconds = time.perf_counter() - began

            began = time.perf_counter()
            read, pages = 0, 0
            paginator = client.get_paginator("get_findings")
            for page in paginator.paginate(
                Filters={
                    "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
                    "UpdatedAt": [{"Start": "2023-12-31T00:00:00.000Z"}],
                },
                SortCriteria=[{"Field": "UpdatedAt", "SortOrder": "asc"}],
                PaginationConfig={"PageSize": 100},
            ):
                read += len(page["Findings"])
                pages += 1
            read_seconds = time.perf_counter() - began

            updated = findings[: min(1000, count)]
            began = time.perf_counter()
            for start in range(0, len(updated), 100):
                client.batch_update_findings(
                    FindingIdentifiers=[
                        {"Id": f["Id"], "ProductArn": f["ProductArn"]}
                        for f in updated[start : start + 100]
                    ],
                    Workflow={"Status": "NOTIFIED"},
                )
            update_seconds = time.perf_counter() - began
            bus.wait_idle(600)
        finally:
            server.stop()
            store.close()
            bus.stop()

    event = json.loads(
        (ROOT / "tests/events/eventbridge_events/asr_imported_afsbp_ec2.7.json").read_text()
    )
    rounds = 20_000
    began = time.perf_counter()
    for _ in range(rounds):
        event_pattern_matches(PATTERN, event)
    match_seconds = time.perf_counter() - began

    print(
        json.dumps(
            {
                "findings": count,
                "import_findings_per_second": round(count / import_seconds),
                "get_findings_read": read,
                "get_findings_pages": pages,
                "get_findings_per_second": round(read / read_seconds),
                "batch_update_findings_per_second": round(len(updated) / update_seconds),
                "imported_events_delivered": len(events),
                "pattern_matches_per_second": round(rounds / match_seconds),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
