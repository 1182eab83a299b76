"""``python manage.py securityhub_import FILE...``: load ASFF into the local Security Hub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from emulator.securityhub_import import securityhub_import_files
from ouroboros.errors import OuroborosError


class Command(BaseCommand):
    help = (
        "Load findings (a finding, a list, a GetFindings response or an EventBridge event per "
        "file) into the running local runtime's Security Hub; emits their Imported events."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, help="JSON files with ASFF findings")
        parser.add_argument(
            "--keep-timestamps",
            action="store_true",
            help="keep UpdatedAt as in the files (default: now, as a fresh detection)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = securityhub_import_files(
                paths=options["files"], keep_timestamps=options["keep_timestamps"]
            )
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{report.imported} findings imported from {report.files} file(s) "
            f"into {report.endpoint}"
        )
        for failure in report.failed:
            self.stderr.write(f"  failed {failure['Id']}: {failure['ErrorMessage']}")
        if report.failed:
            raise CommandError(f"{len(report.failed)} findings were not imported")
