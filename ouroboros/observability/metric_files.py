"""Metrics kept in a file: the EMF records of a process appended to a JSON-lines file, and their
totals (what CloudWatch would show).

The local runtime registers a `MetricsFile` as a sink of `ouroboros.observability.metrics`
(``<data dir>/metrics.jsonl``, `METRICS_FILE`), so the numbers the deployed functions publish
on AWS are there locally too; ``manage.py metrics`` prints `metric_totals` of that file.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The file the local runtime appends its metrics to, in its data folder.
METRICS_FILE = "metrics.jsonl"

#: A data point's dimension values, as sorted (key, value) pairs.
Dimensions = tuple[tuple[str, str], ...]


class MetricsFile:
    """A metrics sink that appends each EMF record to ``path`` as one line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def __call__(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line)


def metric_records_read(path: Path) -> list[dict[str, Any]]:
    """The EMF records of ``path`` (none when it does not exist; unreadable lines are skipped:
    a line cut short by a stop is not a reason to show nothing)."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("_aws"), Mapping):
            records.append(record)
    return records


@dataclass
class MetricTotal:
    """One metric with one set of dimension values: its data points added up."""

    name: str
    dimensions: Dimensions
    unit: str
    count: int = 0
    total: float = 0.0
    maximum: float = 0.0
    last: float = 0.0


def _points(record: Mapping[str, Any]) -> Iterable[tuple[str, str, Dimensions, float]]:
    """(name, unit, dimension values, value) of each data point of an EMF record, with the
    record's first (most detailed) dimension set."""
    for directive in record["_aws"].get("CloudWatchMetrics") or []:
        sets = directive.get("Dimensions") or [[]]
        dimensions = tuple(sorted((str(key), str(record.get(key))) for key in sets[0]))
        for metric in directive.get("Metrics") or []:
            values = record.get(metric.get("Name"))
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, int | float):
                    yield str(metric["Name"]), str(metric.get("Unit", "")), dimensions, value


def metric_totals(records: Iterable[Mapping[str, Any]]) -> list[MetricTotal]:
    """The data points of ``records`` added up per metric and dimension values, sorted."""
    totals: dict[tuple[str, Dimensions], MetricTotal] = {}
    for record in records:
        for name, unit, dimensions, value in _points(record):
            total = totals.setdefault((name, dimensions), MetricTotal(name, dimensions, unit))
            total.maximum = value if total.count == 0 else max(total.maximum, value)
            total.count += 1
            total.total += value
            total.last = value
    return [totals[key] for key in sorted(totals)]
