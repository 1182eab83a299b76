"""``python manage.py aggregates_rebuild [--check]``: recount the dashboard aggregates.

An admin repair tool (it Scans the findings table): see `ouroboros.aggregates.rebuild`. With
``--check`` it only reports the counters that drifted and exits with status 1 if any did.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ouroboros.aggregates.rebuild import aggregates_rebuild
from ouroboros.errors import OuroborosError


class Command(BaseCommand):
    help = "Recount findings and controls aggregates from the tables; --check reports drift only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="report drift without writing (exit 1 on drift)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = aggregates_rebuild(check=options["check"])
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(report.as_dict(), indent=2))
        if options["check"] and report.drift:
            raise CommandError(f"{len(report.drift)} aggregate counters drifted")
