"""``python manage.py bootstrap_tables``: create missing DynamoDB tables, leave the rest alone."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ouroboros.models.tables import tables_ensure


class Command(BaseCommand):
    help = "Create missing tables (streams, GSIs); existing tables and their data are left alone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", choices=["consumer", "hub", "all"], default="all")

    def handle(self, *args: Any, **options: Any) -> None:
        reports = tables_ensure(options["role"])
        created = 0
        for report in reports:
            created += report.action == "created"
            line = f"{report.action:8} {report.table}"
            if report.drift:
                line += "  (drift: " + ", ".join(report.drift) + ")"
            self.stdout.write(line)
        self.stdout.write(f"{created} created, {len(reports) - created} unchanged")
