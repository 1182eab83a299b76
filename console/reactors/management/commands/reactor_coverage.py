"""``python manage.py reactor_coverage [--json]``: which controls the reactors fix, here and in
the Hub, and how many of the control ids AWS Automated Security Response fixes are covered.

Prints one row per control (severity, whether ASR fixes it, the Hub reactors that fix it, which
are installed, the control's reactor and mode), then the totals by severity and ASR's share
(`ouroboros.reactors.coverage`). ``--json`` prints the same report as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from pynamodb.exceptions import PynamoDBException

from ouroboros.errors import OuroborosError
from ouroboros.reactors.coverage import CoverageReport, reactor_coverage

COLUMNS = ("control", "severity", "ASR", "Hub reactor", "installed", "mode")


def coverage_table(report: CoverageReport) -> list[str]:
    """The report as text lines: the per-control table, then the totals."""
    rows = [
        (
            c.control_id,
            c.severity,
            "yes" if c.asr else "",
            ", ".join(c.hub_reactors) or "-",
            ", ".join(c.installed_reactors) or "-",
            c.mode if c.reactor is None else f"{c.mode} ({c.reactor})",
        )
        for c in report.controls
    ]
    widths = [max(len(str(r[i])) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031 - widths are computed
    lines = [line.format(*COLUMNS).rstrip(), line.format(*("-" * w for w in widths))]
    lines += [line.format(*row).rstrip() for row in rows]
    lines += ["", "Totals by severity (controls / with a Hub reactor / installed / configured):"]
    for severity, totals in [*report.by_severity.items(), ("all", report.total)]:
        lines.append(
            f"  {severity:<13} {totals.controls:>4} / {totals.with_reactor:>4} / "
            f"{totals.installed:>4} / {totals.configured:>4}"
        )
    lines.append(
        f"ASR: {report.asr_covered} of its {report.asr_total} control ids have a Hub reactor"
    )
    return lines


class Command(BaseCommand):
    help = "Print which controls have a reactor (Hub, installed, mode) and the totals by severity."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = reactor_coverage()
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        except (BotoCoreError, PynamoDBException) as exc:
            raise CommandError(
                f"cannot read the Hub and the controls ({exc}): start the local runtime "
                "(`make run`) or, on AWS, run with the consumer's credentials"
            ) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict(), indent=1))
            return
        self.stdout.write("\n".join(coverage_table(report)))
