"""``python manage.py metrics [--file PATH]``: the metrics the local runtime's functions recorded.

The deployed functions publish their metrics to CloudWatch (namespace ``Ouroboros``,
`ouroboros.observability.metrics`); the local runtime keeps the same records in
``<data dir>/metrics.jsonl`` (`ouroboros.observability.metric_files`). This prints, per metric
and dimension values, the total of the counts (and the last and largest value of the others,
e.g. the collector's lag in seconds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ouroboros.config import get_config
from ouroboros.observability.metric_files import (
    METRICS_FILE,
    MetricTotal,
    metric_records_read,
    metric_totals,
)


def _value(total: MetricTotal) -> str:
    if total.unit == "Count":
        return f"{total.total:g}"
    return f"last {total.last:g}, max {total.maximum:g} {total.unit} ({total.count} points)"


class Command(BaseCommand):
    help = "Print the totals of the metrics the local runtime recorded, per metric and dimensions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, help=f"the metrics file (default: <data dir>/{METRICS_FILE})"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"] or get_config().data_dir / METRICS_FILE
        totals = metric_totals(metric_records_read(path))
        if not totals:
            self.stdout.write(
                f"No metrics recorded in {path} yet: the local runtime (`make run`) records the "
                "functions' metrics there once they run (on AWS they are in CloudWatch, "
                "namespace Ouroboros)."
            )
            return
        rows = [
            (t.name, " ".join(f"{k}={v}" for k, v in t.dimensions) or "-", _value(t))
            for t in totals
        ]
        widths = [max(len(row[i]) for row in [("Metric", "Dimensions", ""), *rows]) for i in (0, 1)]
        self.stdout.write(f"{'Metric':<{widths[0]}}  {'Dimensions':<{widths[1]}}  Total")
        for name, dimensions, value in rows:
            self.stdout.write(f"{name:<{widths[0]}}  {dimensions:<{widths[1]}}  {value}")
