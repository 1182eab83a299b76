"""A burst of "Security Hub Findings - Imported" events through the local runtime: nothing lost,
and no Standard execution for what needs no action.

    .venv/bin/python benchmarks/burst.py [--scenario mixed|no-auto] [--events 10000] [--batch 10]
        [--timeout 3600]

1. Starts a local runtime in a temporary folder (in-memory DynamoDB Local, moto, the event bus,
   the local Security Hub, the workflow run by moto from the real state machine definition).
2. Installs a no-op reactor (served by the Lambda hook, as installed reactors are) and configures
   the controls: ``S3.2`` auto (the reactor runs), ``EC2.2`` off, ``S3.1`` auto with an exemption
   for the benchmark's account, ``S3.5`` manual (waits for an operator) and ``S3.8`` with no
   reactor. The per account and region rate limit is raised out of the way (it paces on purpose).
3. Sends ``--events`` events through EventBridge's own API (``PutEvents``, 10 entries per call,
   as on AWS), one finding each, built from the real samples in ``tests/events/asff_findings``
   with unique finding ids. ``--scenario mixed`` (the default) cycles auto, auto, off, exempt;
   ``--scenario no-auto`` cycles the controls without an auto reactor (off, exempt, manual, no
   reactor): the issue's "10,000 Imported events for controls without an auto reactor".
4. The Imported rule targets the pre-filter (`ouroboros.workflow.prefilter`): it starts a Standard
   execution only for the auto control's findings and counts the others in the dashboard's
   per-day ``skipped`` bucket, with no execution item. The benchmark waits until every finding is
   accounted for: a succeeded execution (``sfn_statemachines``) for an auto finding, one count in
   the ``skipped`` bucket for each other (progress on stderr). Past ``--timeout`` it stops
   waiting: ``lost`` is then unknown (null) and ``unaccounted`` says how many were not recorded.
5. Prints JSON: events sent, accounted, lost (must be 0), errors (must be 0: rejected entries,
   failed executions, wrong outcomes, findings remediated twice, execution items or Standard
   executions for findings that needed no action, skips counted other than expected), the
   Standard executions started (per event too: without the pre-filter every event started one),
   the skips counted, the pre-filter's invocations, duration, events/s and the latency from
   sending an auto event to its recorded outcome (p50 / p95 / max).

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
#: Scenario -> (control, sample file, kind): the mix, in the order events cycle through it.
MIXES: dict[str, list[tuple[str, str, str]]] = {
    "mixed": [
        ("S3.2", "asr_afsbp_s3.2.json", "auto"),
        ("S3.2", "asr_afsbp_s3.2.json", "auto"),
        ("EC2.2", "asr_afsbp_ec2.2.json", "off"),
        ("S3.1", "asr_afsbp_s3.1.json", "exempt"),
    ],
    "no-auto": [
        ("EC2.2", "asr_afsbp_ec2.2.json", "off"),
        ("S3.1", "asr_afsbp_s3.1.json", "exempt"),
        ("S3.5", "asr_afsbp_s3.5.json", "manual"),
        ("S3.8", "asr_afsbp_s3.2.json", "no_reactor"),
    ],
}
#: Kind -> what accounts for its finding: an execution that succeeded, or a counted skip.
EXPECTED = {
    "auto": "succeeded",
    "off": "counted",
    "exempt": "counted",
    "manual": "counted",
    "no_reactor": "counted",
}
OUTCOMES_AGGREGATE = "executions#day"


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


#: Invocations of the pre-filter function (`counted_prefilter` stands in for its handler).
PREFILTER_INVOCATIONS = [0]


def counted_prefilter(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The ``finding_prefilter`` function's handler, counted (what Lambda would bill)."""
    from lambdas.finding_prefilter import handler

    PREFILTER_INVOCATIONS[0] += 1  # one bus worker delivers; the += races only across threads
    return handler(event, context)


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def findings_build(
    count: int, run: str, mix: list[tuple[str, str, str]]
) -> list[tuple[dict[str, Any], str]]:
    """``count`` findings from the real samples (unique ids, NEW, FAILED, ACTIVE), with kinds."""
    templates = {name: json.loads((SAMPLES / name).read_text()) for _, name, _ in mix}
    now = iso_now()
    built = []
    for number in range(count):
        control, name, kind = mix[number % len(mix)]
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
    prefilter = f"ouroboros-{get_config().stage}-finding-prefilter"
    project_function_register(prefilter, "__main__.counted_prefilter")
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
    ControlModel("S3.5", reactor_id=REACTOR, mode="manual", title="burst").save()
    ControlModel("S3.8", title="burst").save()  # no reactor assigned


def skipped_counted() -> int:
    """The dashboard's ``skipped`` buckets, every day summed (one Query)."""
    from ouroboros.aggregates import aggregate_read

    return sum(
        count
        for bucket, count in aggregate_read(OUTCOMES_AGGREGATE).items()
        if bucket.endswith("#skipped")
    )


def standard_executions() -> int:
    """Executions of the state machine started so far (ListExecutions, every page)."""
    from ouroboros.aws import client

    sfn = client("stepfunctions")
    machines = sfn.list_state_machines()["stateMachines"]
    total = 0
    for machine in machines:
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=machine["stateMachineArn"]
        ):
            total += len(page["executions"])
    return total


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


def outcomes_read(run: str, since: str, mix: list[tuple[str, str, str]]) -> dict[str, list[Any]]:
    """finding id -> its executions of this run (from the control index, one Query per control)."""
    from ouroboros.models import ExecutionModel

    marker = f"/finding/burst-{run}-"
    found: dict[str, list[Any]] = {}
    for control in sorted({c for c, _, _ in mix}):
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
    skipped: int,
) -> dict[str, Any]:
    """Auto findings accounted by their executions; the others by the ``skipped`` count (the
    pre-filter writes no item for them: one found is an error, ``skip_items``)."""
    accounted = wrong = twice = failed = skip_items = 0
    latencies: list[float] = []
    last_outcome = 0.0
    expected_skips = sum(1 for _, kind in findings if EXPECTED[kind] == "counted")
    accounted += min(skipped, expected_skips)
    for finding, kind in findings:
        executions = found.get(finding["Id"], [])
        if EXPECTED[kind] == "counted":
            skip_items += bool(executions)
            continue
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
        if outcome.status != EXPECTED[kind]:
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
        "skip_items": skip_items,
        "skips_expected": expected_skips,
        "skips_counted": skipped,
        "skips_miscounted": abs(skipped - expected_skips),
        "latencies": latencies,
        "last_outcome": last_outcome,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(MIXES), default="mixed")
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
            # The functions' JSON log lines would drown the report (and cost CPU): warnings only.
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    logging.basicConfig(level=logging.WARNING)
    # The synthetic findings are not in the local Security Hub: its write-back refusals are noise.
    logging.getLogger("ouroboros.securityhub.writeback").setLevel(logging.ERROR)
    from ouroboros.config import reset_config
    from ouroboros.observability.logging import log_lines_to

    reset_config()
    sink = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run, closed at its end
    log_lines_to(sink)  # the functions' log and metric lines: stdout stays the JSON report
    from emulator.bus import bus_current
    from emulator.runtime import LocalRuntime

    runtime = LocalRuntime(data_dir=data, persistent=False)
    runtime.start()
    try:
        controls_configure()
        mix = MIXES[args.scenario]
        run = uuid.uuid4().hex[:8]
        findings = findings_build(args.events, run, mix)
        skipped_before = skipped_counted()
        executions_before = standard_executions()
        since = iso_now()
        start = time.time()
        sent, rejected = events_send(findings, min(max(args.batch, 1), 10))
        send_seconds = time.time() - start
        deadline = start + args.timeout
        found: dict[str, list[Any]] = {}
        timed_out = False
        expected_skips = sum(1 for _, kind in findings if EXPECTED[kind] == "counted")
        skipped = 0
        while True:
            found = outcomes_read(run, since, mix)
            skipped = skipped_counted() - skipped_before
            complete = min(skipped, expected_skips) + sum(
                1
                for executions in found.values()
                if any(e.status in ("succeeded", "failed") for e in executions)
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
        bus = bus_current()
        if bus is not None:
            bus.wait_idle(60)  # late deliveries would show as extra executions or skips
        skipped = skipped_counted() - skipped_before
        summary = summarize(findings, sent, found, skipped)
        started = standard_executions() - executions_before
        backend = runtime.dynamodb_backend
    finally:
        runtime.stop()
        shutil.rmtree(data, ignore_errors=True)
        log_lines_to(None)
        sink.close()

    latencies = summary.pop("latencies")
    last_outcome = summary.pop("last_outcome")
    last = (last_outcome - start) if last_outcome else duration
    unaccounted = len(findings) - summary["accounted"]
    # Past the timeout, what is unaccounted may still be in flight: lost is not known then.
    lost = None if timed_out and unaccounted else unaccounted
    auto = sum(1 for _, kind in findings if EXPECTED[kind] == "succeeded")
    # Every auto finding needs its own execution (one finding an event); anything more started
    # a Standard execution for a finding that needed none.
    extra_executions = max(0, started - auto)
    errors = (
        rejected
        + summary["wrong_outcome"]
        + summary["remediated_twice"]
        + summary["failed_executions"]
        + summary["skip_items"]
        + summary["skips_miscounted"]
        + extra_executions
    )
    report = {
        "scenario": args.scenario,
        "events_sent": len(findings),
        "accounted": summary["accounted"],
        "lost": lost,
        "timed_out": timed_out,
        "unaccounted": unaccounted,
        "errors": errors,
        "error_detail": {"rejected_entries": rejected, **summary},
        "mix": {kind: sum(1 for _, k in findings if k == kind) for _, _, kind in mix},
        "standard_executions_started": started,
        "standard_executions_per_event": round(started / len(findings), 4) if findings else None,
        # Before the pre-filter the Imported rule started one execution for each of these events.
        "standard_executions_without_prefilter": len(findings),
        "skipped_counted": skipped,
        "prefilter_invocations": PREFILTER_INVOCATIONS[0],
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
