"""The console under concurrent viewers (short): Locust, headless, against 127.0.0.1.

Runs `benchmarks/console_load.py` (runlocal with the demo plus synthetic findings, viewer
accounts, Locust users logging in and browsing every page type) with 5 users for 5 seconds, and
asserts that requests were served and none failed. No timing is asserted: the numbers are the
benchmark's business (run it with the defaults: 20 users, 60 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.long, pytest.mark.timeout(1200)]


def test_five_viewers_browse_for_five_seconds_without_a_failure() -> None:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "DJANGO_"))
    }
    environ["OUROBOROS_LOCAL_CATALOG"] = "s3-public-read"  # pages, not the Hub's verifications
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/console_load.py",
            "--users",
            "5",
            "--seconds",
            "5",
            "--findings",
            "100",
        ],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=1100,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["failures"] == 0
    assert report["requests"] > 0
    assert report["latency_ms"]["login"]["requests"] > 0  # the users did log in
