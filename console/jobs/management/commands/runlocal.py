"""``python manage.py runlocal`` (what `make run` runs): local runtime + demo data + console.

Starts DynamoDB Local and the moto server on 127.0.0.1, seeds the demo, prepares the console's
database and the ``admin`` user (password from ``OUROBOROS_ADMIN_PASSWORD`` or generated and
printed once), then serves the console on http://127.0.0.1:8000 until Ctrl-C, and stops
everything it started. SIGTERM (``kill``, a process manager) and SIGHUP (a closed terminal) stop it
the same way, and so does SIGINT when it was started in the background (where the shell ignores
SIGINT): DynamoDB Local runs in its own process group, so a runtime that died without stopping it
would leave its Java process behind.
"""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.access.services import admin_user_ensure
from emulator.demo import demo_seed
from emulator.demo_remediation import DemoRemediation
from emulator.runtime import LocalRuntime, RuntimeAlreadyRunningError
from ouroboros.config import get_config


class Command(BaseCommand):
    help = "Start the local runtime with demo data and serve the console on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="console port (127.0.0.1)")
        parser.add_argument("--no-serve", action="store_true", help="start the runtime only")

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = get_config().data_dir
        _stop_on_signals()
        call_command("migrate", verbosity=0, interactive=False)
        password = admin_user_ensure(password=os.environ.get("OUROBOROS_ADMIN_PASSWORD"))
        runtime = LocalRuntime(data_dir=data_dir)
        try:
            endpoints = runtime.start()
        except RuntimeAlreadyRunningError as exc:
            raise CommandError(str(exc)) from exc
        demo_loop = DemoRemediation(announce=self.stdout.write)
        try:
            report = demo_seed()
            call_command("hub_publish", official=True, if_empty=True, skip_existing=True)
            demo_loop.start()  # installs s3-public-read, assigns it to S3.2 (auto), once
            self.stdout.write(
                self.style.SUCCESS("Local runtime up")
                + f"\n  DynamoDB ({endpoints.dynamodb_backend}): {endpoints.dynamodb}"
                + f"\n  AWS services (moto):   {endpoints.aws}"
                + f"\n  Security Hub (local):  {endpoints.securityhub or '-'}"
                + f"\n  data folder:           {data_dir}"
                + f"\n  demo member accounts:  {', '.join(report.accounts)}"
                + "\n  demo remediation:      s3-public-read on S3.2 (auto), see Executions"
            )
            for warning in runtime.warnings:
                self.stdout.write(self.style.WARNING(warning))
            if password:
                self.stdout.write(
                    self.style.WARNING(
                        f"Console user 'admin' created with password: {password}\n"
                        "  (shown once; set OUROBOROS_ADMIN_PASSWORD to choose it)"
                    )
                )
            if options["no_serve"]:
                self.stdout.write("Runtime running; Ctrl-C to stop.")
                _wait_forever()
            else:
                self.stdout.write(f"Console: http://127.0.0.1:{options['port']}/  (Ctrl-C stops)")
                call_command(
                    "runserver",
                    f"127.0.0.1:{options['port']}",
                    use_reloader=False,
                    use_threading=True,
                )
        except KeyboardInterrupt:
            pass
        finally:
            demo_loop.stop()
            runtime.stop()
            self.stdout.write("Local runtime stopped.")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _stop_on_signals() -> None:
    """SIGTERM, SIGHUP and SIGINT (even if inherited as ignored) stop the runtime like Ctrl-C."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)


def _wait_forever() -> None:
    import threading

    threading.Event().wait()
