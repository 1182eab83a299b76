"""The console under concurrent users: Locust (headless) against the console on 127.0.0.1.

    .venv/bin/python benchmarks/console_load.py [--users 20] [--seconds 60] [--findings 2000]

1. Starts ``manage.py runlocal`` in a temporary data folder (the local runtime with the demo, and
   the console served by Django's threaded server on 127.0.0.1, a free port), as ``make run``.
2. Adds ``--findings`` findings to it, built from the real samples in ``tests/events`` (varied
   accounts, regions, severities, statuses), through the findings writer, and ``--users`` viewer
   accounts.
3. Runs Locust headless (``benchmarks/locust/console_users.py``): every simulated user logs in as
   its own viewer and browses the dashboard, findings with filters, finding detail, controls,
   control detail and executions, for ``--seconds``. Signing in has rows of its own (``login
   page``, ``login``: the POST, PBKDF2 password hashing, deliberately slow; all users sign in
   within the first seconds), which weigh on the ``all`` percentiles.
4. Prints JSON: requests, failures (must be 0), requests/s, and p50 / p95 / p99 (ms) per page
   type. Stops everything it started. Exit status 1 on any failure.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
LOCUSTFILE = ROOT / "benchmarks" / "locust" / "console_users.py"
SAMPLES = ROOT / "tests" / "events" / "asff_findings"
ACCOUNTS = ["111111111111", "222222222222", *(f"{300000000000 + n * 7919:012d}" for n in range(6))]
REGIONS = ["us-east-1", "eu-west-1", "ap-northeast-1"]
SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def console_start(data: Path, port: int, environ: dict[str, str]) -> subprocess.Popen[bytes]:
    """``manage.py runlocal`` on ``port``; returns once the login page answers."""
    log = (data / "runlocal.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runlocal", "--port", str(port)],
        cwd=ROOT,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 600
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"runlocal exited: see {data / 'runlocal.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as page:
                if page.status == 200 and (data / "endpoints.json").exists():
                    return server
        except OSError:
            pass
        time.sleep(1)
    console_stop(server)
    raise RuntimeError("the console did not answer within 600 s")


def console_stop(server: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a person would (runlocal then stops the runtime); kill after 60 s."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def findings_add(count: int) -> tuple[list[str], list[str]]:
    """Write ``count`` findings varied from the samples; (some finding ids, control ids)."""
    from ouroboros.findings.services import finding_upsert_batch
    from ouroboros.securityhub.asff import asff_parse

    samples = [json.loads(p.read_text()) for p in sorted(SAMPLES.glob("asr_afsbp_*.json"))]
    rng = random.Random(7)
    now = datetime.now(UTC)
    parsed = []
    for number in range(count):
        asff = copy.deepcopy(samples[number % len(samples)])
        account = rng.choice(ACCOUNTS)
        asff["Id"] = f"{asff['Id']}-load-{number}".replace("111111111111", account)
        asff["AwsAccountId"] = account
        asff["Region"] = rng.choice(REGIONS)
        stamp = now - timedelta(minutes=rng.randrange(60 * 24 * 30))
        asff["UpdatedAt"] = stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        asff["Severity"] = {"Label": rng.choice(SEVERITIES)}
        asff["Compliance"] = {
            **(asff.get("Compliance") or {}),
            "Status": rng.choice(["FAILED", "PASSED"]),
        }
        asff["Workflow"] = {"Status": rng.choice(["NEW", "NEW", "NOTIFIED", "RESOLVED"])}
        asff["RecordState"] = "ACTIVE" if rng.random() < 0.9 else "ARCHIVED"
        parsed.append(asff_parse(asff))
    finding_upsert_batch(findings=parsed, now=now)
    ids = [f.finding_id for f in parsed]
    controls = sorted({f.control_id for f in parsed if f.control_id})
    return rng.sample(ids, min(200, len(ids))), controls


def viewers_add(count: int, password: str) -> list[str]:
    """``count`` viewer accounts in the console's database."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    viewer = Group.objects.get_or_create(name="viewer")[0]
    names = [f"viewer{n:02d}" for n in range(1, count + 1)]
    for name in names:
        user = get_user_model().objects.create_user(username=name, password=password)
        user.groups.add(viewer)
    return names


def locust_run(host: str, plan: Path, users: int, seconds: int, out: Path) -> Path:
    """Locust headless; the path of its stats CSV."""
    prefix = out / "locust"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("locust")),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 4)),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--host",
            host,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
        ],
        cwd=ROOT,
        env={**os.environ, "OUROBOROS_LOAD_PLAN": str(plan)},
        check=True,
        timeout=seconds + 300,
        capture_output=True,
    )
    return Path(f"{prefix}_stats.csv")


def stats_read(path: Path) -> dict[str, Any]:
    pages: dict[str, Any] = {}
    total: dict[str, Any] = {}
    with path.open() as handle:
        for row in csv.DictReader(handle):
            entry = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
                "rps": round(float(row["Requests/s"]), 2),
            }
            if row["Name"] == "Aggregated":
                total = entry
            else:  # one row per (method, name); names are unique per page type
                pages[row["Name"]] = entry
    return {"total": total, "pages": pages}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--findings", type=int, default=2000)
    args = parser.parse_args(argv)
    data = Path(tempfile.mkdtemp(prefix="ouroboros-load-"))
    password = secrets.token_urlsafe(16)
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "DJANGO_"))
    }
    environ.update(
        OUROBOROS_DATA_DIR=str(data),
        OUROBOROS_ADMIN_PASSWORD=secrets.token_urlsafe(16),
        OUROBOROS_LOCAL_SCHEDULE_SECONDS="3600",  # collectors once: their runs are not the load
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - dummy credentials for the local runtime
        AWS_DEFAULT_REGION="us-east-1",
        DJANGO_SETTINGS_MODULE="console.settings.local",
    )
    os.environ.clear()
    os.environ.update(environ)
    port = free_port()
    started = time.time()
    server = console_start(data, port, environ)
    try:
        from emulator.endpoints import endpoints_adopt
        from ouroboros.config import reset_config

        reset_config()
        endpoints_adopt(data)
        sample_ids, controls = findings_add(args.findings)
        users = viewers_add(args.users, password)
        plan = data / "load-plan.json"
        plan.write_text(
            json.dumps(
                {
                    "users": users,
                    "password": password,
                    "findings": sample_ids,
                    "controls": controls,
                    "accounts": ACCOUNTS,
                }
            )
        )
        setup_seconds = time.time() - started
        stats = stats_read(
            locust_run(f"http://127.0.0.1:{port}", plan, args.users, args.seconds, data)
        )
    finally:
        console_stop(server)
        shutil.rmtree(data, ignore_errors=True)
    report = {
        "users": args.users,
        "seconds": args.seconds,
        "findings_added": args.findings,
        "requests": stats["total"].get("requests", 0),
        "failures": stats["total"].get("failures", 0),
        "rps": stats["total"].get("rps"),
        "latency_ms": {"all": {k: stats["total"].get(k) for k in ("p50_ms", "p95_ms", "p99_ms")}}
        | {
            name: {k: page[k] for k in ("requests", "failures", "p50_ms", "p95_ms", "p99_ms")}
            for name, page in sorted(stats["pages"].items())
        },
        "server": "manage.py runlocal (Django threaded server, DEBUG settings of make run)",
        "setup_seconds": round(setup_seconds, 1),
    }
    print(json.dumps(report, indent=2))
    return 1 if report["failures"] or not report["requests"] else 0


if __name__ == "__main__":
    sys.exit(main())
