"""The embedded local AWS runtime: DynamoDB Local plus one moto server, both on 127.0.0.1.

`LocalRuntime.start()`:

1. starts DynamoDB Local (persistent under ``<data dir>/dynamodb``), or, where Java or the npm
   package is missing, falls back to moto's DynamoDB with a loud warning that data will not persist;
2. starts moto's HTTP server in a thread for every other service (STS, IAM, S3, SNS, SQS, Lambda,
   Step Functions, EventBridge...);
3. points this process at them through the standard ``AWS_ENDPOINT_URL*`` variables and writes
   ``<data dir>/endpoints.json`` so other processes can do the same (`endpoints_adopt`);
4. creates the missing tables (existing ones and their data are left alone);
5. starts the extensions, in order.

Extensions are the runtime's other parts, added by later capabilities: the local Security Hub,
the Lambda invoke hook, the event bus, the scheduler, the stream pollers. Each is an object with
``name``, ``start(runtime)`` and ``stop()``; `LocalRuntime.stop()` stops them in reverse order.

The data folder is owner-only: while the runtime runs, the process creates files with a 0o077
umask (0600 files, 0700 folders; DynamoDB Local inherits it), and at start the folder is made
0700 and the entries already in it 0600 (files) or 0700 (folders), not recursing: nothing below
a 0700 folder is reachable by another user anyway, and a data folder pointed at a shared place
is not rewritten wholesale.

moto keeps its state in memory: IAM roles, buckets and other moto resources are recreated by the
demo seed at each start; everything in DynamoDB persists.

`LocalRuntime.stop()` is idempotent and runs to its end: a second call (or one from a signal
handler while a stop runs) returns at once, and while it runs on the main thread, SIGINT, SIGTERM
and SIGHUP are ignored (logged), so a second Ctrl-C or a supervisor's second TERM cannot leave
DynamoDB Local or a half-stopped extension behind. DynamoDB Local also dies with this process
however it ends (`emulator.dynamodb_local`).
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import os
import signal
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Protocol

from emulator.dynamodb_local import (
    DynamoDBLocal,
    DynamoDBLocalUnavailableError,
    dynamodb_local_start,
)
from emulator.endpoints import (
    LocalEndpoints,
    endpoints_clear,
    endpoints_read,
    endpoints_write,
)
from emulator.moto_server import MotoServer, moto_server_start
from ouroboros.aws import reset_sessions
from ouroboros.config import reset_config
from ouroboros.models import bind_models
from ouroboros.models.tables import tables_ensure

logger = logging.getLogger(__name__)

#: The umask of a running local runtime: what it creates is readable by its owner only.
OWNER_ONLY_UMASK = 0o077

#: Table prefix of the Hub's tables in the local runtime (both roles share one DynamoDB there).
LOCAL_HUB_TABLE_PREFIX = "hub"


class RuntimeAlreadyRunningError(RuntimeError):
    """Another local runtime already serves this data folder."""


class RuntimeExtension(Protocol):
    """A part of the local runtime started after the databases (see the module docstring)."""

    name: str

    def start(self, runtime: LocalRuntime) -> None: ...

    def stop(self) -> None: ...


def default_extensions() -> list[RuntimeExtension]:
    """The runtime's standard extensions, in start order (each capability appends its own)."""
    from emulator.bus import EventBusExtension
    from emulator.collectors import CollectorsExtension
    from emulator.hub_store import LocalHubStore
    from emulator.lambda_invoke import LocalLambda
    from emulator.s3control import S3ControlLoopback
    from emulator.scheduler import SchedulerExtension
    from emulator.securityhub_server import SecurityHubExtension
    from emulator.streams import StreamPollers
    from emulator.workflow import WorkflowExtension

    extensions: list[RuntimeExtension] = []
    extensions += [EventBusExtension(), SecurityHubExtension()]  # bus first: the others publish
    extensions += [S3ControlLoopback(), LocalLambda(), LocalHubStore(), StreamPollers()]  # reactors
    extensions += [CollectorsExtension()]  # registers jobs and the Imported-event subscription
    extensions += [WorkflowExtension()]  # state machine, rules, notification subscriber
    extensions += [SchedulerExtension()]  # last: scheduled jobs use everything above
    return extensions


@dataclass
class LocalRuntime:
    """The local runtime; use as a context manager or call `start` / `stop`."""

    data_dir: Path
    persistent: bool = True
    dynamodb_port: int = 0
    moto_port: int = 0
    region: str = "us-east-1"
    #: An already running DynamoDB Local to use instead of starting one (tests share one per
    #: worker); the runtime neither starts nor stops it, and the caller owns its tables.
    dynamodb_url: str | None = None
    extensions: Sequence[RuntimeExtension] = field(default_factory=default_extensions)
    dynamodb: DynamoDBLocal | None = None
    moto: MotoServer | None = None
    endpoints: LocalEndpoints | None = None
    warnings: list[str] = field(default_factory=list)
    _saved_environ: dict[str, str | None] = field(default_factory=dict)
    _started: list[RuntimeExtension] = field(default_factory=list)
    _lock_file: IO[str] | None = None
    _saved_umask: int | None = None
    _stopping: bool = False

    @property
    def dynamodb_backend(self) -> str:
        return "dynamodb-local" if self.dynamodb is not None or self.dynamodb_url else "moto"

    def start(self) -> LocalEndpoints:
        """Start everything (see the module docstring); returns the endpoints."""
        self._saved_umask = os.umask(OWNER_ONLY_UMASK)
        try:
            data_dir_owner_only(self.data_dir)
            self._lock_data_dir()
        except BaseException:
            self._umask_restore()
            raise
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines
        try:
            self.moto = moto_server_start(self.moto_port)
            try:
                if self.dynamodb_url:
                    dynamodb_url = self.dynamodb_url
                else:
                    self.dynamodb = dynamodb_local_start(
                        self.data_dir, port=self.dynamodb_port, in_memory=not self.persistent
                    )
                    dynamodb_url = self.dynamodb.url
            except DynamoDBLocalUnavailableError as exc:
                message = (
                    f"DynamoDB Local unavailable ({exc}); falling back to moto's DynamoDB: "
                    "data will NOT persist across restarts"
                )
                warnings.warn(message, RuntimeWarning, stacklevel=2)
                logger.warning(message)
                self.warnings.append(message)
                dynamodb_url = self.moto.url
            self.endpoints = LocalEndpoints(
                aws=self.moto.url,
                dynamodb=dynamodb_url,
                dynamodb_backend=self.dynamodb_backend,
                region=self.region,
                pid=os.getpid(),
                hub_table_prefix=os.environ.get(
                    "OUROBOROS_HUB_TABLE_PREFIX", LOCAL_HUB_TABLE_PREFIX
                ),
            )
            self._apply_environ(self.endpoints.environ())
            tables_ensure("all")
            for extension in self.extensions:
                extension.start(self)
                self._started.append(extension)
            endpoints_write(self.endpoints, self.data_dir)
        except BaseException:
            self.stop()
            raise
        return self.endpoints

    def _lock_data_dir(self) -> None:
        """Hold an exclusive lock on the data folder for the runtime's lifetime."""
        lock = (self.data_dir / "runtime.lock").open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            running = endpoints_read(self.data_dir)
            who = f"pid {running.pid}" if running else "another process"
            raise RuntimeAlreadyRunningError(
                f"a local runtime ({who}) already serves {self.data_dir}; "
                "stop it first (Ctrl-C in its terminal)"
            ) from None
        self._lock_file = lock

    def stop(self) -> None:
        """Stop the extensions, the servers and restore this process's environment.

        Idempotent, and not interrupted by SIGINT / SIGTERM / SIGHUP (see the module docstring).
        """
        if self._stopping:
            return
        self._stopping = True
        try:
            with _stop_signals_ignored():
                self._stop_all()
        finally:
            self._stopping = False

    def _stop_all(self) -> None:
        while self._started:
            extension = self._started.pop()
            try:
                extension.stop()
            except Exception:
                logger.exception("stopping %s failed", extension.name)
        if self.endpoints is not None:
            current = endpoints_read(self.data_dir)
            if current is not None and current.pid == os.getpid():
                endpoints_clear(self.data_dir)
        if self.dynamodb is not None:
            try:
                self.dynamodb.stop()
            except Exception:
                logger.exception("stopping DynamoDB Local failed")
            self.dynamodb = None
        if self.moto is not None:
            try:
                self.moto.stop()
            except Exception:
                logger.exception("stopping the moto server failed")
            self.moto = None
        self._restore_environ()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        self._umask_restore()

    def _umask_restore(self) -> None:
        if self._saved_umask is not None:
            os.umask(self._saved_umask)
            self._saved_umask = None

    def endpoints_update(self, **fields: str) -> LocalEndpoints:
        """Let an extension publish an endpoint of its own (e.g. ``securityhub``) while starting.

        Points this process at it at once; other processes see it in ``endpoints.json``, which is
        written after every extension has started.
        """
        if self.endpoints is None:
            raise RuntimeError("endpoints_update is called by extensions, during start()")
        self.endpoints = dataclasses.replace(self.endpoints, **fields)  # type: ignore[arg-type]
        self._apply_environ(self.endpoints.environ())
        return self.endpoints

    def _apply_environ(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_environ.setdefault(key, os.environ.get(key))
            os.environ[key] = value
        reset_config()
        reset_sessions()
        bind_models()

    def _restore_environ(self) -> None:
        for key, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environ.clear()
        reset_config()
        reset_sessions()
        bind_models()

    def __enter__(self) -> LocalRuntime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _signal_ignored(signum: int, frame: FrameType | None) -> None:
    logger.warning("%s ignored: the local runtime is stopping", signal.Signals(signum).name)


@contextmanager
def _stop_signals_ignored() -> Iterator[None]:
    """Ignore (and log) the stopping signals for the block, on the main thread (else no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {signum: signal.signal(signum, _signal_ignored) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def data_dir_owner_only(data_dir: Path) -> None:
    """Create ``data_dir`` (0700) or make it 0700, and its entries 0600 / 0700 (not recursing)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    for entry in data_dir.iterdir():
        if entry.is_symlink():
            continue
        try:
            entry.chmod(0o700 if entry.is_dir() else 0o600)
        except PermissionError:  # another user's file: left as it is, and said so
            logger.warning("%s: not ours, its permissions are left unchanged", entry)


@contextmanager
def local_runtime(data_dir: Path, **kwargs: object) -> Iterator[LocalRuntime]:
    """``with local_runtime(path) as runtime:`` start, yield, always stop."""
    runtime = LocalRuntime(data_dir=data_dir, **kwargs)  # type: ignore[arg-type]
    with runtime:
        yield runtime
