"""DynamoDB Local never outlives the runtime: TERM to ``make run``'s group, SIGKILL, leftovers.

Issue 18 reproduced both on main: ``kill -TERM -- -<pgid>`` on ``setsid make run`` (make and
runlocal both get TERM; the second signal cut runlocal's stop half way) and SIGKILL of runlocal
each left Java running on the data folder, and the next start opened a second JVM on it. Each
test here uses its own data folder and ports, and stops everything it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.dynamodb_local import (
    PID_FILE,
    dynamodb_local_leftovers,
    dynamodb_local_start,
    find_jar,
    wait_for_port,
)
from emulator.endpoints import endpoints_read
from tests.integration.test_runlocal import console_port

pytestmark = [pytest.mark.integration, pytest.mark.long]

ROOT = Path(__file__).resolve().parents[2]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(
        OUROBOROS_DATA_DIR=str(data_dir),
        OUROBOROS_ADMIN_PASSWORD="lifecycle-test-pw-1",
        OUROBOROS_LOCAL_CATALOG="s3-public-read",  # the Hub's catalog is not what is tested here
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="console.settings.local",
    )
    return env


def _runlocal(data_dir: Path, *command: str) -> subprocess.Popen[str]:
    """``command`` (runlocal, or make run) in a new session, as ``setsid`` starts it."""
    return subprocess.Popen(
        list(command),
        cwd=ROOT,
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _manage_runlocal(data_dir: Path) -> subprocess.Popen[str]:
    return _runlocal(data_dir, sys.executable, "manage.py", "runlocal", "--no-serve")


def _running_java(data_dir: Path, process: subprocess.Popen[str], timeout: float = 180) -> int:
    """Wait until the runtime serving ``data_dir`` is up; Java's pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stdout.read() if process.stdout else "exited")
        running = endpoints_read(data_dir)
        if running is not None and running.dynamodb_backend == "dynamodb-local":
            return int((data_dir / PID_FILE).read_text())
        time.sleep(0.5)
    raise AssertionError(f"the runtime on {data_dir} did not start in {timeout}s")


def _gone(pid: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.2)
    return False


def _no_leftovers(data_dir: Path, timeout: float = 60) -> bool:
    """Whether every DynamoDB Local process of ``data_dir`` (Java, watchdog) has ended."""
    deadline = time.monotonic() + timeout
    while dynamodb_local_leftovers(data_dir):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def _killpg(process: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data folder; whatever DynamoDB Local is still on it after the test is killed."""
    folder = tmp_path / "data"
    try:
        yield folder
    finally:
        for pid in dynamodb_local_leftovers(folder):
            os.kill(pid, signal.SIGKILL)


def _clean_restart(data_dir: Path, old_java: int) -> None:
    """The next start finds nothing to clean up, runs one Java, and stops with it."""
    process = _manage_runlocal(data_dir)
    started: list[str] = []
    try:
        assert process.stdout is not None
        while not started or not started[-1].startswith("Runtime running"):
            line = process.stdout.readline()
            assert line, "".join(started)  # runlocal ended before it was up
            started.append(line)
        java = int((data_dir / PID_FILE).read_text())
        assert java != old_java
        assert dynamodb_local_leftovers(data_dir) == sorted([java, _parent(java)])
    finally:
        _killpg(process, signal.SIGINT)
        try:
            rest, _ = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            _killpg(process, signal.SIGKILL)  # the test stops what it started, even a hung stop
            process.communicate()
            log = (data_dir / "runlocal.log").read_text()
            raise AssertionError(f"runlocal did not stop; its log ends:\n{log[-6000:]}") from None
    output = "".join(started) + rest
    assert "left on" not in output  # no leftover had to be stopped
    assert "Local runtime stopped." in output
    # A quiet start: a few lines, the admin user last; the details are in the log file.
    start = output.split("Runtime running")[0].strip().splitlines()
    assert len(start) <= 10 and start[-1].startswith("Console user: admin"), output
    assert " INFO " in (data_dir / "runlocal.log").read_text()
    assert _gone(java) and _no_leftovers(data_dir)


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_term_to_the_process_group_of_make_run_stops_java(data_dir: Path) -> None:
    make = [
        "make",
        "-s",
        "-o",
        ".venv/.installed",
        "-o",
        "node_modules/.installed",
        "run",
        f"PY={sys.executable}",
        f"PORT={console_port()}",
        "ARGS=--no-serve",
    ]
    process = _runlocal(data_dir, *make)
    try:
        java = _running_java(data_dir, process)
    finally:
        # What a supervisor or a closing terminal does: every process of the group gets TERM,
        # make and runlocal alike, and then a second one while runlocal is stopping.
        _killpg(process, signal.SIGTERM)
        time.sleep(0.2)
        _killpg(process, signal.SIGTERM)
        process.communicate(timeout=120)
    assert _gone(java), "DynamoDB Local outlived make run"
    assert _no_leftovers(data_dir)
    assert endpoints_read(data_dir) is None
    _clean_restart(data_dir, java)


def test_sigkill_of_runlocal_takes_java_with_it(data_dir: Path) -> None:
    process = _manage_runlocal(data_dir)
    java = _running_java(data_dir, process)
    process.kill()  # SIGKILL (or the OOM killer): no handler, no finally
    process.communicate(timeout=60)
    assert _gone(java), "DynamoDB Local outlived a killed runlocal"
    assert _no_leftovers(data_dir)
    _clean_restart(data_dir, java)


def test_a_leftover_java_on_the_data_folder_is_stopped_before_a_new_one_starts(
    data_dir: Path,
) -> None:
    # A JVM as an older runtime left it: no watchdog, its own session, -dbPath on this folder.
    jar = find_jar()
    first = dynamodb_local_start(data_dir)  # compiles the launcher, then stopped
    first.stop()
    launcher = next((data_dir / "tools").glob("launcher-*"))
    port = console_port()
    leftover = subprocess.Popen(
        [
            "java",
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-cp",
            f"{launcher}:{jar}:{jar.parent / 'DynamoDBLocal_lib'}/*",
            "LoopbackDynamoDBLocal",
            "-port",
            str(port),
            "-sharedDb",
            "-dbPath",
            str((data_dir / "dynamodb").resolve()),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_port(port, 60, leftover)
        assert dynamodb_local_leftovers(data_dir) == [leftover.pid]

        server = dynamodb_local_start(data_dir)
        try:
            assert leftover.wait(30) is not None  # stopped before the new one started
            assert dynamodb_local_leftovers(data_dir) == sorted(
                [server.java_pid, server.process.pid]
            )
        finally:
            server.stop()
        assert dynamodb_local_leftovers(data_dir) == []
    finally:
        if leftover.poll() is None:
            leftover.kill()
            leftover.wait(30)
