"""``python manage.py securityhub_import FILE...``: ASFF and OCSF into the local Security Hub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from emulator.securityhub_import import securityhub_import_files
from ouroboros.errors import OuroborosError


class Command(BaseCommand):
    help = (
        "Load findings (a finding, a list, a GetFindings or GetFindingsV2 response or an "
        "EventBridge event per file) into the running local runtime's Security Hub; emits their "
        "Imported events. ASFF findings go in with BatchImportFindings; OCSF findings (Security "
        "Hub V2, 'Findings Imported V2' events) through a local-only import that AWS does not "
        "have (on AWS only the products write V2 findings), emitting 'Findings Imported V2'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "files", nargs="+", type=Path, help="JSON files with ASFF and/or OCSF findings"
        )
        parser.add_argument(
            "--keep-timestamps",
            action="store_true",
            help="keep UpdatedAt (OCSF: finding_info.modified_time) as in the files "
            "(default: now, as a fresh detection)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = securityhub_import_files(
                paths=options["files"], keep_timestamps=options["keep_timestamps"]
            )
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        for notice in report.notices:
            self.stdout.write(f"note: {notice}")
        for path, count in report.written.items():
            self.stdout.write(f"  wrote {count} findings from {path}")
        self.stdout.write(
            f"{report.imported} findings imported from {len(report.written)} of "
            f"{report.files} file(s) into {report.endpoint}"
        )
        for refusal in report.refused:
            self.stderr.write(f"refused {refusal.path}:")
            for reason in refusal.reasons:
                self.stderr.write(f"  {reason}")
        for failure in report.failed:
            self.stderr.write(f"  failed {failure['Id']!a}: {failure['ErrorMessage']}")
        if report.refused or report.failed:
            raise CommandError(
                f"{len(report.refused)} file(s) refused (nothing of them written), "
                f"{len(report.failed)} findings refused by the local Security Hub"
            )
