"""`make run`'s command end to end: runtime + demo + console, login, counts, clean stop."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from emulator.dynamodb_local import free_port
from emulator.endpoints import endpoints_read

pytestmark = [pytest.mark.integration, pytest.mark.long]

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(url: str, process: subprocess.Popen[str], timeout: float = 120) -> None:
    """Until ``url`` answers. A connection refused (not listening yet) and an answer slower than
    2 s (the console's first request, while the demo loop and other test workers share the
    cores) both mean "not yet": only ``timeout`` without an answer, or the process ending, fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            requests.get(url, timeout=2)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in {timeout}s")


def _login_and_read_controls(base: str) -> int:
    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    home = session.post(
        f"{base}/login/",
        data={
            "username": "admin",
            "password": "runlocal-test-pw-1",
            "csrfmiddlewaretoken": token.group(1),
            "next": "/",
        },
        headers={"Referer": f"{base}/login/"},
        timeout=30,
    )
    assert home.status_code == 200
    count = re.search(r'id="count-controls">(\d+)<', home.text)
    assert count, home.text[:500]
    return int(count.group(1))


def console_port() -> int:
    """A free port for a console the test starts, outside Linux's ephemeral range
    (``ip_local_port_range``, 32768-60999): a port from ``bind(0)`` is free only until another
    test worker's server binds port 0 and may get the same one; this one it never gets."""
    for port in random.sample(range(20000, 32000), 50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


def _start(data_dir: Path, port: int, *, catalog: str = "") -> subprocess.Popen[str]:
    """``manage.py runlocal`` on ``data_dir``; ``catalog`` limits the official reactors the local
    Hub starts with (``OUROBOROS_LOCAL_CATALOG``), every one by default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(
        OUROBOROS_LOCAL_CATALOG=catalog,
        OUROBOROS_DATA_DIR=str(data_dir),
        OUROBOROS_ADMIN_PASSWORD="runlocal-test-pw-1",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="console.settings.local",
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "runlocal", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str], signum: int = signal.SIGINT) -> str:
    process.send_signal(signum)
    output, _ = process.communicate(timeout=60)
    return output


def _listening(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.ReadTimeout:
        return True  # the connection was accepted: something listens, it is just slow
    except requests.ConnectionError:
        return False
    return True


def test_runlocal_serves_the_console_with_the_catalog_and_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = console_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(data_dir, port)
    try:
        _wait_for(f"{base}/login/", process)
        assert _login_and_read_controls(base) == 290
    finally:
        output = _stop(process)
    assert "Local runtime stopped." in output
    assert "runlocal-test-pw-1" not in output  # a chosen password is never echoed
    assert not (data_dir / "endpoints.json").exists()

    # Second start: same data, no second seed. Stopped with SIGTERM (``kill``, a process manager).
    process = _start(data_dir, port)
    try:
        _wait_for(f"{base}/login/", process)
        assert _login_and_read_controls(base) == 290
        running = endpoints_read(data_dir)
        assert running is not None and _listening(running.dynamodb)
    finally:
        output = _stop(process, signal.SIGTERM)
    assert "Local runtime stopped." in output
    assert not _listening(running.dynamodb)  # DynamoDB Local's Java process went with it
