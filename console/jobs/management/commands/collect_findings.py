"""``python manage.py collect_findings [--full]``: the findings collector, by hand."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ouroboros.errors import OuroborosError
from ouroboros.securityhub.collect_findings import findings_collect


class Command(BaseCommand):
    help = "Sync Security Hub findings into DynamoDB (incremental from the watermark by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="read every finding, not only recent changes"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = findings_collect(full=options["full"])
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(report.as_dict(), indent=2))
