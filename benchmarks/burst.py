"""A burst of "Security Hub Findings - Imported" events through the local runtime: nothing lost.

    .venv/bin/python benchmarks/burst.py [--events 10000] [--batch 10] [--timeout 3600]

1. Starts a local runtime in a temporary folder (in-memory DynamoDB Local, moto, the event bus,
   the local Security Hub, the workflow run by moto from the real state machine definition).
2. Installs a no-op reactor (served by the Lambda hook, as installed reactors are) and configures
   three controls: ``S3.2`` auto (the reactor runs), ``EC2.2`` off (skipped: mode off) and
   ``S3.1`` auto with an exemption for the benchmark's account (skipped: exempt). The per account
   and region rate limit is raised out of the way (it paces on purpose).
3. Sends ``--events`` events through EventBridge's own API (``PutEvents``, 10 entries per call,
   as on AWS), one finding each, built from the real samples in ``tests/events/asff_findings``
   with unique finding ids; the controls alternate auto, auto, off, exempt.
4. Waits until every finding is accounted for in DynamoDB (``sfn_statemachines``): a succeeded
   execution for the auto control, a skip with the expected reason for the others (progress on
   stderr). Past ``--timeout`` it stops waiting: ``lost`` is then unknown (null) and
   ``unaccounted`` says how many were still not recorded.
5. Prints JSON: events sent, accounted, lost (must be 0), errors (must be 0: rejected entries,
   failed executions, wrong outcomes, findings remediated twice), duration, events/s and the
   latency from sending an event to its recorded outcome (p50 / p95 / max).

Exit status 1 when anything was lost or an error was seen.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REACTOR = "noop"
ACCOUNT = "222222222222"
SAMPLES = ROOT / "tests" / "events" / "asff_findings"
#: (control, sample file, kind): the mix, in the order events cycle through it.
MIX = [
    ("S3.2", "asr_afsbp_s3.2.json", "auto"),
    ("S3.2", "asr_afsbp_s3.2.json", "auto"),
    ("EC2.2", "asr_afsbp_ec2.2.json", "off"),
    ("S3.1", "asr_afsbp_s3.1.json", "exempt"),
]
EXPECTED = {"auto": "succeeded", "off": "skipped", "exempt": "skipped"}


def noop_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The no-op reactor: what a reactor returns when nothing needed changing."""
    finding = event.get("finding") or {}
    return {
        "reactor_id": REACTOR,
        "reactor_version": "1.0.0",
        "finding_id": finding.get("Id"),
        "account_id": finding.get("AwsAccountId"),
        "status": "unchanged",
        "changes": [],
        "rollback_data": {},
    }


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def findings_build(count: int, run: str) -> list[tuple[dict[str, Any], str]]:
    """``count`` findings from the real samples (unique ids, NEW, FAILED, ACTIVE), with kinds."""
    templates = {name: json.loads((SAMPLES / name).read_text()) for _, name, _ in MIX}
    now = iso_now()
    built = []
    for number in range(count):
        control, name, kind = MIX[number % len(MIX)]
        finding = copy.deepcopy(templates[name])
        finding["Id"] = (
            f"arn:aws:securityhub:us-east-1:{ACCOUNT}:subscription/"
            f"aws-foundational-security-best-practices/v/1.0.0/{control}/finding/burst-{run}-{number}"
        )
        finding["AwsAccountId"] = ACCOUNT
        finding["UpdatedAt"] = now
        finding["Compliance"] = {"Status": "FAILED", "SecurityControlId": control}
        finding["Workflow"] = {"Status": "NEW"}
        finding["RecordState"] = "ACTIVE"
        built.append((finding, kind))
    return built


def controls_configure() -> None:
    from emulator.lambda_invoke import project_function_register
    from ouroboros.config import get_config
    from ouroboros.controls.exemptions import ExemptionInput, exemption_build
    from ouroboros.models import ControlModel, LocalReactorModel

    name = f"ouroboros-{get_config().stage}-rx-{REACTOR}"
    project_function_register(name, "__main__.noop_handler")
    LocalReactorModel(
        REACTOR,
        version="1.0.0",
        sha256="0" * 64,
        status="installed",
        function_name=name,
        function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
    ).save()
    exempt = exemption_build(
        ExemptionInput(account=ACCOUNT, reason="burst benchmark: exempt account"), actor="bench"
    )
    ControlModel("S3.2", reactor_id=REACTOR, mode="auto", title="burst").save()
    ControlModel("EC2.2", reactor_id=REACTOR, mode="off", title="burst").save()
    ControlModel("S3.1", reactor_id=REACTOR, mode="auto", exemptions=[exempt], title="burst").save()


def events_send(findings: list[tuple[dict[str, Any], str]], batch: int) -> tuple[dict, int]:
    """PutEvents in batches; returns (finding id -> send time, entries rejected)."""
    from ouroboros.aws import client

    events = client("events")
    sent: dict[str, float] = {}
    rejected = 0
    for index in range(0, len(findings), batch):
        chunk = [f for f, _ in findings[index : index + batch]]
        entries = [
            {
                "Source": "aws.securityhub",
                "DetailType": "Security Hub Findings - Imported",
                "Resources": [f["ProductArn"]],
                "Detail": json.dumps({"findings": [f]}),
            }
            for f in chunk
        ]
        at = time.time()
        response = events.put_events(Entries=entries)
        rejected += int(response.get("FailedEntryCount", 0))
        for finding in chunk:
            sent[finding["Id"]] = at
    return sent, rejected


def outcomes_read(run: str, since: str) -> dict[str, list[Any]]:
    """finding id -> its executions of this run (from the control index, one Query per control)."""
    from ouroboros.models import ExecutionModel

    marker = f"/finding/burst-{run}-"
    found: dict[str, list[Any]] = {}
    for control in sorted({c for c, _, _ in MIX}):
        for execution in ExecutionModel.control_index.query(
            control, ExecutionModel.started_at >= since
        ):
            if marker in (execution.finding_id or ""):
                found.setdefault(execution.finding_id, []).append(execution)
    return found


def seconds_of(stamp: str | None) -> float | None:
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def summarize(
    findings: list[tuple[dict[str, Any], str]],
    sent: dict[str, float],
    found: dict[str, list[Any]],
) -> dict[str, Any]:
    accounted = wrong = twice = failed = 0
    latencies: list[float] = []
    last_outcome = 0.0
    for finding, kind in findings:
        executions = found.get(finding["Id"], [])
        statuses = [e.status for e in executions]
        if "failed" in statuses:
            failed += 1
        if sum(1 for s in statuses if s in ("succeeded", "failed", "started")) > 1:
            twice += 1
        done = [e for e in executions if e.status in ("succeeded", "skipped", "failed")]
        if not done:
            continue
        accounted += 1
        outcome = done[0]
        if outcome.status != EXPECTED[kind] or (
            kind == "exempt" and not (outcome.skip_reason or "").startswith("exempt")
        ):
            wrong += 1
        ended = seconds_of(outcome.finished_at) or seconds_of(outcome.started_at)
        if ended is not None:
            latencies.append(ended - sent[finding["Id"]])
            last_outcome = max(last_outcome, ended)
    return {
        "accounted": accounted,
        "wrong_outcome": wrong,
        "remediated_twice": twice,
        "failed_executions": failed,
        "latencies": latencies,
        "last_outcome": last_outcome,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=10, help="entries per PutEvents (max 10)")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="ouroboros-burst-"))
    os.environ.update(
        {
            "OUROBOROS_DATA_DIR": str(data),
            "OUROBOROS_REMEDIATION_RATE": "1000000",
            "OUROBOROS_REMEDIATION_BURST": "1000000",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    logging.basicConfig(level=logging.WARNING)
    # The synthetic findings are not in the local Security Hub: its write-back refusals are noise.
    logging.getLogger("ouroboros.securityhub.writeback").setLevel(logging.ERROR)
    from ouroboros.config import reset_config

    reset_config()
    from emulator.runtime import LocalRuntime

    runtime = LocalRuntime(data_dir=data, persistent=False)
    runtime.start()
    try:
        controls_configure()
        run = uuid.uuid4().hex[:8]
        findings = findings_build(args.events, run)
        since = iso_now()
        start = time.time()
        sent, rejected = events_send(findings, min(max(args.batch, 1), 10))
        send_seconds = time.time() - start
        deadline = start + args.timeout
        found: dict[str, list[Any]] = {}
        timed_out = False
        while True:
            found = outcomes_read(run, since)
            complete = sum(
                1
                for executions in found.values()
                if any(e.status in ("succeeded", "skipped", "failed") for e in executions)
            )
            print(
                f"{time.time() - start:8.1f} s: {complete}/{len(findings)} accounted",
                file=sys.stderr,
                flush=True,
            )
            timed_out = time.time() > deadline
            if complete >= len(findings) - rejected or timed_out:
                break
            time.sleep(2 if len(findings) <= 1000 else 5)
        duration = time.time() - start
        summary = summarize(findings, sent, found)
        backend = runtime.dynamodb_backend
    finally:
        runtime.stop()
        shutil.rmtree(data, ignore_errors=True)

    latencies = summary.pop("latencies")
    last_outcome = summary.pop("last_outcome")
    last = (last_outcome - start) if last_outcome else duration
    unaccounted = len(findings) - summary["accounted"]
    # Past the timeout, what is unaccounted may still be in flight: lost is not known then.
    lost = None if timed_out and unaccounted else unaccounted
    errors = (
        rejected
        + summary["wrong_outcome"]
        + summary["remediated_twice"]
        + summary["failed_executions"]
    )
    report = {
        "events_sent": len(findings),
        "accounted": summary["accounted"],
        "lost": lost,
        "timed_out": timed_out,
        "unaccounted": unaccounted,
        "errors": errors,
        "error_detail": {"rejected_entries": rejected, **summary},
        "mix": {kind: sum(1 for _, k in findings if k == kind) for kind in EXPECTED},
        "send_seconds": round(send_seconds, 3),
        "duration_seconds": round(last, 3),
        "events_per_second": round(len(findings) / last, 2) if last else None,
        "latency_seconds": {
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "max": round(max(latencies), 3) if latencies else None,
        },
        "dynamodb": backend,
    }
    print(json.dumps(report, indent=2))
    return 1 if unaccounted or errors else 0


if __name__ == "__main__":
    sys.exit(main())
