"""``python manage.py teardown --role consumer|hub [--delete-tables] [--delete-bucket]``.

Removes what ``bootstrap`` created (run ``zappa undeploy`` for the functions first). Tables with
deletion protection are kept unless ``--delete-tables``. Logic: `deploy.teardown`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deploy.report import reports_summary
from deploy.teardown import teardown_run
from ouroboros.errors import OuroborosError


class Command(BaseCommand):
    help = "Remove the resources bootstrap created (tables only with --delete-tables)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", choices=["consumer", "hub"], required=True)
        parser.add_argument("--region", default=None)
        parser.add_argument("--delete-tables", action="store_true", help="and their data")
        parser.add_argument("--delete-bucket", action="store_true", help="hub artifacts too")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            reports = teardown_run(
                options["role"],
                region=options["region"],
                delete_tables=options["delete_tables"],
                delete_bucket=options["delete_bucket"],
            )
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        for report in reports:
            self.stdout.write(report.line())
        self.stdout.write(reports_summary(reports))
