"""Throughput of the remediation workflow on the local runtime, with a no-op reactor.

    .venv/bin/python benchmarks/workflow.py [--findings 1000] [--per-event 1]

1. Starts a local runtime in a temporary folder (in-memory data), installs a no-op reactor
   (served by the Lambda hook, as installed reactors are) and assigns it in auto mode to a
   control; the per account-region rate limit is raised out of the way (it paces on purpose).
2. Workflow: publishes ``findings / per-event`` "Findings - Imported" events in one burst on the
   local bus and waits until every finding has a succeeded execution: moto runs the real state
   machine, each task is a Lambda invoke answered in-process.
3. Baseline, in the same run: the same handlers called directly (parse -> dispatch -> notify) on
   fresh findings, so what remains is the state machine, the bus and the invoke plumbing.
4. Prints JSON: findings/s both ways, seconds per finding, the reactor's own time per call, and
   the per-finding overhead beyond the reactor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REACTOR = "noop"
CONTROL = "S3.2"
ACCOUNT = "222222222222"
_reactor_seconds: list[float] = []


def noop_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The no-op reactor: what a reactor returns when nothing needed changing."""
    start = time.perf_counter()
    finding = event.get("finding") or {}
    result = {
        "reactor_id": REACTOR,
        "reactor_version": "1.0.0",
        "finding_id": finding.get("Id"),
        "account_id": finding.get("AwsAccountId"),
        "status": "unchanged",
        "changes": [],
        "rollback_data": {},
    }
    _reactor_seconds.append(time.perf_counter() - start)
    return result


def finding(number: int, run: str) -> dict[str, Any]:
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"bench-{run}-{number}",
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
        "GeneratorId": f"security-control/{CONTROL}",
        "AwsAccountId": ACCOUNT,
        "Region": "us-east-1",
        "Types": ["Software and Configuration Checks"],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {"Label": "HIGH"},
        "Title": "bench",
        "Description": "bench",
        "Resources": [{"Type": "AwsS3Bucket", "Id": f"arn:aws:s3:::bench-{number}"}],
        "Compliance": {"Status": "FAILED", "SecurityControlId": CONTROL},
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    }


def event(findings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": "123456789012",
        "time": findings[0]["UpdatedAt"],
        "region": "us-east-1",
        "resources": [],
        "detail": {"findings": findings},
    }


def succeeded(prefix: str) -> int:
    """Succeeded executions of this run (a COUNT Query: the waiting loop must not compete with
    the workflow for the CPU by reading and decoding every item twice a second)."""
    from ouroboros.models import ExecutionModel

    return ExecutionModel.status_index.count(
        "succeeded", filter_condition=ExecutionModel.finding_id.startswith(prefix)
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=1000)
    parser.add_argument("--per-event", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument(
        "--moto-unpatched",
        action="store_true",
        help="moto as it ships: a Lambda client per task, a definition parse per execution",
    )
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="ouroboros-bench-"))
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
    import logging

    logging.basicConfig(level=logging.WARNING)
    # The synthetic findings are not in the local Security Hub: its write-back refusals are noise.
    logging.getLogger("ouroboros.securityhub.writeback").setLevel(logging.ERROR)
    from ouroboros.config import get_config, reset_config

    reset_config()
    from emulator.bus import bus_current
    from emulator.lambda_invoke import project_function_register
    from emulator.runtime import LocalRuntime
    from lambdas import dispatch_finding, parse_finding, send_notification
    from ouroboros.models import ControlModel, LocalReactorModel

    runtime = LocalRuntime(data_dir=data, persistent=False)
    runtime.start()
    try:
        if args.moto_unpatched:
            from emulator.workflow import WorkflowExtension

            for extension in runtime.extensions:
                if isinstance(extension, WorkflowExtension) and extension._moto_undo:
                    extension._moto_undo()
                    extension._moto_undo = None
        name = f"ouroboros-{get_config().stage}-rx-{REACTOR}"
        # This module, as it runs (not a second import of it), so _reactor_seconds is shared.
        project_function_register(name, "__main__.noop_handler")
        LocalReactorModel(
            REACTOR,
            version="1.0.0",
            sha256="0" * 64,
            status="installed",
            function_name=name,
            function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        ).save()
        ControlModel(CONTROL, reactor_id=REACTOR, mode="auto", title="bench").save()

        run = uuid.uuid4().hex[:8]
        items = [finding(n, run) for n in range(args.findings)]
        bus = bus_current()
        assert bus is not None
        _reactor_seconds.clear()
        start = time.perf_counter()
        for index in range(0, len(items), args.per_event):
            bus.publish(event(items[index : index + args.per_event]))
        deadline = start + args.timeout
        done = 0
        while time.perf_counter() < deadline:
            done = succeeded(f"bench-{run}-")
            if done >= args.findings:
                break
            time.sleep(0.5)
        workflow_seconds = time.perf_counter() - start
        workflow_reactor = sum(_reactor_seconds)

        # Baseline: the same handlers, called directly.
        direct = uuid.uuid4().hex[:8]
        direct_items = [finding(n, direct) for n in range(args.findings)]
        _reactor_seconds.clear()
        start = time.perf_counter()
        for index in range(0, len(direct_items), args.per_event):
            parsed = parse_finding.handler(event(direct_items[index : index + args.per_event]))
            for item in parsed["items"]:
                result = dispatch_finding.handler(item)
                send_notification.handler({"messages": result["result"]["messages"]})
        direct_seconds = time.perf_counter() - start
        direct_reactor = sum(_reactor_seconds)
    finally:
        runtime.stop()

    n = args.findings
    per_workflow = workflow_seconds / max(done, 1)
    per_direct = direct_seconds / n
    print(
        json.dumps(
            {
                "findings": n,
                "findings_per_event": args.per_event,
                "moto": "unpatched" if args.moto_unpatched else "emulator.moto_sfn",
                "workflow": {
                    "completed": done,
                    "seconds": round(workflow_seconds, 3),
                    "findings_per_second": round(done / workflow_seconds, 2),
                    "seconds_per_finding": round(per_workflow, 5),
                    "reactor_seconds_per_finding": round(workflow_reactor / max(done, 1), 6),
                    "overhead_beyond_reactor_per_finding": round(
                        per_workflow - workflow_reactor / max(done, 1), 5
                    ),
                },
                "direct_handlers": {
                    "seconds": round(direct_seconds, 3),
                    "findings_per_second": round(n / direct_seconds, 2),
                    "seconds_per_finding": round(per_direct, 5),
                    "overhead_beyond_reactor_per_finding": round(
                        per_direct - direct_reactor / n, 5
                    ),
                },
                "state_machine_overhead_per_finding": round(per_workflow - per_direct, 5),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
