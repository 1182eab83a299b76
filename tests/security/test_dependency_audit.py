"""The dependency audit CI runs (``.ci/audit.py``): fails on a known vulnerability, says loudly
when no vulnerability database answers, and is wired into ``.ci/run``.

pip-audit itself is replaced by a stub (``OUROBOROS_PIP_AUDIT``) that reports what the real one
would, and the databases by a local server on 127.0.0.1 (their probe URLs are overridable), so
each outcome is tested on any machine.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.http_server import http_server_running

ROOT = Path(__file__).resolve().parents[2]
VULNERABLE = """#!/bin/sh
echo "$@" > "$(dirname "$0")/args"
echo "Found 1 known vulnerability in 1 package"
echo "Name   Version ID                  Fix Versions"
echo "django 5.2.19  PYSEC-2099-1        5.2.20"
exit 1
"""
CLEAN = """#!/bin/sh
echo "$@" > "$(dirname "$0")/args"
echo "No known vulnerabilities found"
exit 0
"""


class Database(BaseHTTPRequestHandler):
    """/up answers JSON 200; anything else 404 (PyPI's mirror here answers 404 on /pypi/...)."""

    def _answer(self) -> None:
        if self.path == "/up":
            body = json.dumps({"info": {}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with http_server_running(Database) as url:
        yield url


def _audit(tmp_path: Path, stub: str, **env: str) -> subprocess.CompletedProcess[str]:
    executable = tmp_path / "pip-audit"
    executable.write_text(stub)
    executable.chmod(executable.stat().st_mode | stat.S_IEXEC)
    environ = {**os.environ, "OUROBOROS_PIP_AUDIT": str(executable), **env}
    return subprocess.run(
        [sys.executable, ".ci/audit.py"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_known_vulnerability_fails_the_audit(tmp_path: Path, database: str) -> None:
    result = _audit(tmp_path, VULNERABLE, OUROBOROS_AUDIT_PYPI_PROBE=f"{database}/up")
    assert result.returncode == 1
    assert "PYSEC-2099-1" in result.stdout and "FAILED: dependency audit" in result.stdout
    args = (tmp_path / "args").read_text().split()
    assert args[args.index("-r") + 1] == str(ROOT / "requirements.lock")
    assert args[args.index("--vulnerability-service") + 1] == "pypi"


def test_a_clean_lock_passes(tmp_path: Path, database: str) -> None:
    result = _audit(tmp_path, CLEAN, OUROBOROS_AUDIT_PYPI_PROBE=f"{database}/up")
    assert result.returncode == 0 and "SKIPPED" not in result.stdout


def test_osv_is_used_when_pypi_has_no_json_api(tmp_path: Path, database: str) -> None:
    result = _audit(
        tmp_path,
        VULNERABLE,
        OUROBOROS_AUDIT_PYPI_PROBE=f"{database}/pypi/django/5.2.19/json",
        OUROBOROS_AUDIT_OSV_PROBE=f"{database}/up",
    )
    assert result.returncode == 1
    args = (tmp_path / "args").read_text().split()
    assert args[args.index("--vulnerability-service") + 1] == "osv"


def test_no_database_reachable_is_a_loud_skip_or_a_failure_when_required(
    tmp_path: Path, database: str
) -> None:
    unreachable = {
        "OUROBOROS_AUDIT_PYPI_PROBE": f"{database}/pypi/django/5.2.19/json",  # 404
        "OUROBOROS_AUDIT_OSV_PROBE": "http://127.0.0.1:9/v1/query",  # refused
    }
    result = _audit(tmp_path, VULNERABLE, **unreachable)
    assert result.returncode == 0
    assert result.stdout.startswith("SKIPPED: dependency audit NOT run")
    assert "HTTP 404" in result.stdout and "requirements.lock was not checked" in result.stdout
    assert not (tmp_path / "args").exists()  # pip-audit was not even started
    required = _audit(tmp_path, VULNERABLE, OUROBOROS_AUDIT_REQUIRED="1", **unreachable)
    assert required.returncode == 1


def test_ci_runs_the_audit_with_a_pinned_pip_audit() -> None:
    assert ".ci/audit.py" in (ROOT / ".ci" / "run").read_text()
    lock = (ROOT / "requirements.lock").read_text().splitlines()
    assert any(line.lower().replace("_", "-").startswith("pip-audit==") for line in lock)
    assert '"pip-audit==' in (ROOT / "pyproject.toml").read_text()
