"""``python manage.py runlocal`` (what `make run` runs): local runtime + demo data + console.

Starts DynamoDB Local and the moto server on 127.0.0.1, seeds the demo, prepares the console's
database and the ``admin`` user (password from ``OUROBOROS_ADMIN_PASSWORD`` or generated and
printed once), then serves the console on http://127.0.0.1:8000 (``--port``; ``make run
PORT=8101``) until Ctrl-C, and stops everything it started.

The start is quiet: a few lines ending with the console URL and the admin user; the runtime's and
the console's log lines go to ``<data dir>/runlocal.log`` (``-v 2`` prints them here instead),
the functions' JSON log lines too (`ouroboros.observability.logging`).
Warnings and errors are always printed.

The local Hub starts with every official reactor published (and verified in the background);
``OUROBOROS_LOCAL_CATALOG`` (reactor ids, comma-separated) publishes only those, for a quicker
start when the catalog is not what is being looked at (the process tests set it to the demo's
``s3-public-read``).

Stopping: SIGTERM (``kill``, a process manager), SIGHUP (a closed terminal) and SIGINT (also when
started in the background, where the shell ignores SIGINT) stop it like Ctrl-C. The first signal
starts the stop; every later one is ignored until the stop has ended (``kill -TERM -- -<pgid>`` on
``setsid make run`` sends it twice: to make and to this process), so the stop is never cut half
way. DynamoDB Local dies with this process even when it is killed outright
(`emulator.dynamodb_local`), and a start first stops one left on the same data folder.
"""

from __future__ import annotations

import contextlib
import copy
import faulthandler
import logging
import logging.config
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.access.services import admin_user_ensure
from console.audit.services import audit_recorder
from console.devserver import devserver_nodelay
from console.hub.management.commands.hub_publish import official_packages
from emulator.demo import demo_seed
from emulator.demo_remediation import (
    DEMO_ACTOR,
    DEMO_CONTROL,
    DEMO_MODE,
    DEMO_OCSF_CONTROL,
    DEMO_OCSF_REACTOR,
    DEMO_REACTOR,
    DemoRemediation,
)
from emulator.dynamodb_local import DynamoDBLocalBusyError
from emulator.runtime import LocalRuntime, RuntimeAlreadyRunningError
from ouroboros.config import get_config, reset_config
from ouroboros.observability.logging import log_lines_to

logger = logging.getLogger(__name__)

LOG_FILE = "runlocal.log"
#: Reactor ids the local Hub starts with, comma-separated (see the module docstring); all if unset.
CATALOG_ENV = "OUROBOROS_LOCAL_CATALOG"
#: A stop slower than this logs every thread's stack (`_stacks_if_slow`).
STOP_SLOW_SECONDS = 30.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_stopping = threading.Event()


class Command(BaseCommand):
    help = "Start the local runtime with demo data and serve the console on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="console port (127.0.0.1)")
        parser.add_argument("--no-serve", action="store_true", help="start the runtime only")

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = get_config().data_dir
        port, verbose = options["port"], options["verbosity"] >= 2
        _stop_on_signals()
        if not options["no_serve"]:
            _port_free_check(port)
        data_dir.mkdir(parents=True, exist_ok=True)
        log_path = data_dir / LOG_FILE
        if not verbose:
            _logs_to_file(log_path)
        if not options["no_serve"] and not os.environ.get("OUROBOROS_CONSOLE_URL"):
            # Tickets and notifications the local functions send link this console.
            os.environ["OUROBOROS_CONSOLE_URL"] = f"http://127.0.0.1:{port}"
            reset_config()
        call_command("migrate", verbosity=0, interactive=False)
        password = admin_user_ensure(password=os.environ.get("OUROBOROS_ADMIN_PASSWORD"))
        runtime = LocalRuntime(data_dir=data_dir)
        demo_loop = DemoRemediation(
            announce=self.stdout.write, audit=audit_recorder(actor_name=DEMO_ACTOR)
        )
        quiet = open(os.devnull, "w")  # noqa: SIM115 (closed in the finally below)
        # The functions' JSON log and metric lines (stdout on Lambda) go to the log file too.
        lines = None if verbose else log_path.open("a", encoding="utf-8")
        log_lines_to(lines)
        try:
            endpoints = runtime.start()
            report = demo_seed()
            call_command(
                "hub_publish",
                *[str(path) for path in local_catalog()],
                if_empty=True,
                skip_existing=True,
                stdout=self.stdout if verbose else quiet,
            )
            demo_loop.start()  # installs and assigns the demo's reactors (S3.2, SQS.1), once
            self.stdout.write(
                self.style.SUCCESS("Local runtime up")
                + f" (DynamoDB: {endpoints.dynamodb_backend}; data folder: {data_dir})"
            )
            if verbose:
                self.stdout.write(
                    f"  DynamoDB:              {endpoints.dynamodb}"
                    + f"\n  AWS services (moto):   {endpoints.aws}"
                    + f"\n  Security Hub (local):  {endpoints.securityhub or '-'}"
                    + f"\n  demo member accounts:  {', '.join(report.accounts)}"
                )
            else:
                self.stdout.write(f"  log: {log_path} (`-v 2` prints it here)")
            self.stdout.write(
                f"  demo remediation: {DEMO_REACTOR} on {DEMO_CONTROL}, {DEMO_OCSF_REACTOR} on "
                f"{DEMO_OCSF_CONTROL} (OCSF), {DEMO_MODE}: see Executions"
            )
            for warning in runtime.warnings:
                self.stdout.write(self.style.WARNING(warning))
            if password:
                self.stdout.write(
                    self.style.WARNING(
                        f"Console user: admin, password: {password}\n"
                        "  (shown once; set OUROBOROS_ADMIN_PASSWORD to choose it)"
                    )
                )
            else:
                self.stdout.write("Console user: admin (password: OUROBOROS_ADMIN_PASSWORD)")
            if options["no_serve"]:
                self.stdout.write("Runtime running; Ctrl-C to stop.")
                _wait_forever()
            else:
                self.stdout.write(f"Console: http://127.0.0.1:{port}/  (Ctrl-C stops)")
                devserver_nodelay()
                call_command(
                    "runserver",
                    f"127.0.0.1:{port}",
                    use_reloader=False,
                    use_threading=True,
                    skip_checks=not verbose,
                    stdout=self.stdout if verbose else quiet,
                )
        except KeyboardInterrupt:
            pass
        except (RuntimeAlreadyRunningError, DynamoDBLocalBusyError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            _stopping.set()  # from here on, stopping signals are ignored (see the docstring)
            with _stacks_if_slow(log_path):
                demo_loop.stop()
                runtime.stop()
            log_lines_to(None)
            if lines is not None:
                lines.close()
            quiet.close()
            self.stdout.write("Local runtime stopped.")


@contextlib.contextmanager
def _stacks_if_slow(log_path: Path, seconds: float = STOP_SLOW_SECONDS) -> Iterator[None]:
    """A stop that takes longer than ``seconds`` writes every thread's stack to the log file
    (what it waits for), and goes on."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a") as log:
        faulthandler.dump_traceback_later(seconds, repeat=False, file=log)
        try:
            yield
        finally:
            faulthandler.cancel_dump_traceback_later()


def local_catalog() -> list[Path]:
    """The official packages the local Hub starts with: all, or those ``CATALOG_ENV`` names;
    the demo's reactor first, so that the demo's loop does not wait for the whole catalog."""
    by_id = {path.name.replace("_", "-"): path for path in official_packages()}
    wanted = [n.strip() for n in os.environ.get(CATALOG_ENV, "").split(",") if n.strip()]
    if not wanted:
        return sorted(by_id.values(), key=lambda path: path != by_id.get(DEMO_REACTOR))
    unknown = [name for name in wanted if name.replace("_", "-") not in by_id]
    if unknown:
        raise CommandError(
            f"{CATALOG_ENV}: no official reactor {', '.join(unknown)} "
            f"(official: {', '.join(sorted(by_id))})"
        )
    return [by_id[name.replace("_", "-")] for name in wanted]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """The first stopping signal raises KeyboardInterrupt (the stop path); later ones are not."""
    name = signal.Signals(signum).name
    if _stopping.is_set():
        logger.warning("%s ignored: the local runtime is stopping", name)
        return
    _stopping.set()
    raise KeyboardInterrupt(name)


def _stop_on_signals() -> None:
    """SIGTERM, SIGHUP and SIGINT (even if inherited as ignored) stop the runtime like Ctrl-C."""
    _stopping.clear()
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)


def _port_free_check(port: int) -> None:
    """Refuse at once when the console's port is taken (runserver would exit the process)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As runserver binds (SO_REUSEADDR): a port whose last server's connections linger in
        # TIME_WAIT (a restart) is free; one a server listens on is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise CommandError(
                f"port {port} on 127.0.0.1 is in use ({exc.strerror}): choose another one, "
                f"e.g. `make run PORT={port + 101}` or `manage.py runlocal --port {port + 101}`"
            ) from None


def _logs_to_file(path: Path) -> None:
    """Log lines go to ``path``; the terminal keeps warnings and errors only.

    Set in ``settings.LOGGING`` too: the WSGI application runserver loads calls ``django.setup()``
    again, which would otherwise put the original configuration back.
    """
    config = copy.deepcopy(settings.LOGGING)
    config.setdefault("formatters", {})["runlocal"] = {
        "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"
    }
    handlers = config.setdefault("handlers", {})
    for handler in handlers.values():
        handler["level"] = "WARNING"
    handlers["runlocal_file"] = {
        "class": "logging.FileHandler",
        "filename": str(path),
        "formatter": "runlocal",
        "encoding": "utf-8",
    }
    config.setdefault("root", {}).setdefault("handlers", []).append("runlocal_file")
    config.setdefault("loggers", {})["django.server"] = {
        "handlers": ["runlocal_file"],
        "level": "INFO",
        "propagate": False,
    }
    settings.LOGGING = config
    logging.config.dictConfig(config)


def _wait_forever() -> None:
    """Wait for a stopping signal. Never one endless wait: the kernel may hand a process's
    signal to any of its threads (one running a remediation, say), and Python then runs the
    handler only when the main thread next runs bytecode; an untimed wait never does."""
    idle = threading.Event()
    while not idle.wait(0.25):
        pass
