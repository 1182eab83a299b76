"""Metrics in the embedded metric format: their shape, where they go, and their local totals."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from ouroboros.observability.logging import function_handler
from ouroboros.observability.metric_files import (
    METRICS_FILE,
    MetricsFile,
    metric_records_read,
    metric_totals,
)
from ouroboros.observability.metrics import (
    COLLECTOR_LAG_SECONDS,
    DIMENSION_SETS,
    METRICS_NAMESPACE,
    OUTCOMES,
    REACTOR_ERRORS,
    REMEDIATIONS,
    collector_lag_record,
    metric_record,
    metrics_sink_add,
    metrics_sink_remove,
    remediation_record,
)


@pytest.fixture
def recorded() -> Iterator[list[dict[str, Any]]]:
    records: list[dict[str, Any]] = []
    metrics_sink_add(records.append)
    try:
        yield records
    finally:
        metrics_sink_remove(records.append)


def test_a_data_point_is_one_emf_record_with_every_dimension_set(
    recorded: list[dict[str, Any]],
) -> None:
    remediation_record(outcome="fixed", control_id="S3.2")
    remediation_record(outcome=None, control_id="S3.2")  # not ended: nothing
    (record,) = recorded
    directive = record["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == METRICS_NAMESPACE == "Ouroboros"
    assert directive["Metrics"] == [{"Name": REMEDIATIONS, "Unit": "Count"}]
    assert directive["Dimensions"] == [["Outcome", "ControlId"], ["Outcome"]]
    assert (record["Outcome"], record["ControlId"], record[REMEDIATIONS]) == (
        "remediated",
        "S3.2",
        [1.0],
    )
    assert isinstance(record["_aws"]["Timestamp"], int)
    assert set(OUTCOMES) == {"remediated", "skipped", "failed", "rolled_back", "dry_run"}


def test_every_metric_has_a_dimension_set_an_alarm_can_watch() -> None:
    for name, sets in DIMENSION_SETS.items():
        assert sets and all(isinstance(keys, tuple) for keys in sets), name
    assert () in DIMENSION_SETS[REACTOR_ERRORS]  # the total over every reactor


def test_emf_goes_to_the_log_stream_only_inside_a_function(
    capsys: pytest.CaptureFixture[str], recorded: list[dict[str, Any]]
) -> None:
    @function_handler("dispatch_finding")
    def handler(event: Any, context: Any = None) -> None:
        metric_record(REACTOR_ERRORS, ReactorId="s3-public-read")

    handler({})
    metric_record(REACTOR_ERRORS)  # a management command: the sinks only
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    emf = [line for line in out if "_aws" in line]
    assert len(emf) == 1 and emf[0]["ReactorId"] == "s3-public-read"
    assert [r.get("ReactorId") for r in recorded] == ["s3-public-read", "none"]


def test_a_metric_never_fails_what_it_measures(caplog: pytest.LogCaptureFixture) -> None:
    assert metric_record("NoSuchMetric") is None
    assert "NoSuchMetric" in caplog.text


def test_collector_lag_is_the_age_of_the_watermark(recorded: list[dict[str, Any]]) -> None:
    now = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    collector_lag_record(watermark="2026-12-07T05:58:30.000Z", now=now)
    collector_lag_record(watermark=None, now=now)  # before the first sync: nothing
    (record,) = recorded
    assert record[COLLECTOR_LAG_SECONDS] == [90.0]
    assert record["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] == "Seconds"


def test_the_metrics_command_totals_the_local_file(tmp_path: Path) -> None:
    path = tmp_path / METRICS_FILE
    sink = MetricsFile(path)
    metrics_sink_add(sink)
    try:
        remediation_record(outcome="failed", control_id="S3.2")
        remediation_record(outcome="failed", control_id="S3.2")
        remediation_record(outcome="skipped", control_id="EC2.2")
        now = datetime.now(UTC)
        collector_lag_record(watermark=now.isoformat(), now=now)
    finally:
        metrics_sink_remove(sink)
    with path.open("a") as appended:
        appended.write('{"cut short\n')  # a line a stop cut: skipped
    assert len(metric_records_read(path)) == 4
    totals = {(t.name, t.dimensions): t.total for t in metric_totals(metric_records_read(path))}
    assert totals[(REMEDIATIONS, (("ControlId", "S3.2"), ("Outcome", "failed")))] == 2

    out = io.StringIO()
    call_command("metrics", file=path, stdout=out)
    rows = out.getvalue().splitlines()
    assert rows[0].split() == ["Metric", "Dimensions", "Total"]
    assert ["Remediations", "ControlId=S3.2", "Outcome=failed", "2"] in [r.split() for r in rows]
    assert any(r.startswith("CollectorLagSeconds") and "Seconds" in r for r in rows)

    empty = io.StringIO()
    call_command("metrics", file=tmp_path / "none.jsonl", stdout=empty)
    assert empty.getvalue().startswith(f"No metrics recorded in {tmp_path / 'none.jsonl'} yet")
