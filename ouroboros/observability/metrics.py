"""Metrics per control and outcome, in CloudWatch's embedded metric format (EMF).

Names (namespace `METRICS_NAMESPACE`) and the dimension sets each is published with
(`DIMENSION_SETS`; an empty set is the metric without dimensions, the one an alarm watches):

- `REMEDIATIONS`: one per execution that ends, ``Outcome`` (`OUTCOMES`) and ``ControlId``;
- `SKIPS`: one per skipped finding, ``Reason`` (a short code, e.g. ``exempt``, ``mode_off``);
- `REACTOR_ERRORS`: one per reactor invocation that failed, ``ReactorId``;
- `WORKFLOW_FAILURES`: one per workflow item or event that ended in the failure path;
- `COLLECTOR_LAG_SECONDS`: after a findings sync, now minus the newest watermark (seconds);
- `COLLECTOR_PAGES`: the GetFindings pages a sync read;
- `INSTALLER_RESULTS`: one per installer stream record, ``Result``;
- `VERIFICATION_REJECTIONS`: one per published reactor version the Hub's verifier rejected.

`metric_record` writes one EMF record per data point, inside a deployed function as a line of
its log (stdout: CloudWatch extracts the metric; Powertools' ``POWERTOOLS_METRICS_DISABLED``
turns that off), and hands it to the sinks registered in the process: the local runtime
registers one that appends to ``<data dir>/metrics.jsonl``, which ``manage.py metrics`` totals
(`ouroboros.observability.metric_files`). One record per point, not a batch flushed at the end
of an invocation: each has its own dimensions, an invocation that fails still reports what it
counted, and functions running side by side in one process (the local runtime) share no state.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

from ouroboros.observability.logging import function_running, log_stream

logger = logging.getLogger(__name__)

#: The CloudWatch namespace of every Ouroboros metric.
METRICS_NAMESPACE = "Ouroboros"

REMEDIATIONS = "Remediations"
SKIPS = "Skips"
REACTOR_ERRORS = "ReactorErrors"
WORKFLOW_FAILURES = "WorkflowFailures"
COLLECTOR_LAG_SECONDS = "CollectorLagSeconds"
COLLECTOR_PAGES = "CollectorPages"
INSTALLER_RESULTS = "InstallerResults"
VERIFICATION_REJECTIONS = "VerificationRejections"

#: The values of the ``Outcome`` dimension of `REMEDIATIONS`.
OUTCOMES = ("remediated", "skipped", "failed", "rolled_back", "dry_run")

#: The dimension sets each metric is published with (EMF ``Dimensions``): ``()`` is the metric
#: without dimensions, the total an alarm watches.
DIMENSION_SETS: dict[str, tuple[tuple[str, ...], ...]] = {
    REMEDIATIONS: (("Outcome", "ControlId"), ("Outcome",)),
    SKIPS: (("Reason",), ()),
    REACTOR_ERRORS: (("ReactorId",), ()),
    WORKFLOW_FAILURES: ((),),
    COLLECTOR_LAG_SECONDS: ((),),
    COLLECTOR_PAGES: ((),),
    INSTALLER_RESULTS: (("Result",),),
    VERIFICATION_REJECTIONS: ((),),
}


#: The ``Outcome`` of an execution that ended, by its dashboard outcome
#: (`ouroboros.aggregates.remediation.execution_outcome`).
_OUTCOME_OF = {
    "fixed": "remediated",
    "dry_run": "dry_run",
    "skipped": "skipped",
    "failed": "failed",
    "rolled_back": "rolled_back",
}
#: The units of the metrics that are not counts.
_UNITS = {COLLECTOR_LAG_SECONDS: "Seconds"}

MetricSink = Callable[[dict[str, Any]], None]
_sinks: list[MetricSink] = []
_sinks_lock = threading.Lock()


def metrics_sink_add(sink: MetricSink) -> None:
    """Hand every EMF record written in this process to ``sink`` too (the local runtime keeps
    them in its data folder, `ouroboros.observability.metric_files`)."""
    with _sinks_lock:
        _sinks.append(sink)


def metrics_sink_remove(sink: MetricSink) -> None:
    """Stop handing records to ``sink`` (absent: nothing to do)."""
    with _sinks_lock:
        if sink in _sinks:
            _sinks.remove(sink)


def metric_emf(name: str, value: float, *, dimensions: Mapping[str, object]) -> dict[str, Any]:
    """The EMF record of one data point of metric ``name`` (`DIMENSION_SETS` says which of
    ``dimensions`` it carries; a missing value is ``none``); `ValueError` for an unknown name."""
    if name not in DIMENSION_SETS:
        raise ValueError(f"unknown metric {name!r}: add it to DIMENSION_SETS")
    sets = DIMENSION_SETS[name]
    emf = AmazonCloudWatchEMFProvider(namespace=METRICS_NAMESPACE)
    for key in sets[0]:
        emf.add_dimension(name=key, value=str(dimensions.get(key) or "none"))
    emf.add_metric(name=name, unit=_UNITS.get(name, "Count"), value=value)
    record: dict[str, Any] = dict(emf.serialize_metric_set())
    record["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = [list(keys) for keys in sets]
    return record


def metric_record(name: str, value: float = 1, **dimensions: object) -> dict[str, Any] | None:
    """Record one data point: inside a deployed function (`function_handler`) the EMF record is
    written as a line of its log (what CloudWatch turns into the metric), and every sink gets it.

    A metric never fails what it measures: a failure is logged and None returned.
    """
    try:
        record = metric_emf(name, value, dimensions=dimensions)
        if function_running() and not is_metrics_disabled():
            stream = log_stream()
            stream.write(json.dumps(record, separators=(",", ":")) + "\n")
            stream.flush()
        with _sinks_lock:
            sinks = list(_sinks)
        for sink in sinks:
            sink(record)
    except Exception as exc:
        logger.warning("metric %s not recorded: %s: %s", name, type(exc).__name__, exc)
        return None
    return record


def remediation_record(*, outcome: str | None, control_id: str | None) -> None:
    """Count an execution that ended with dashboard outcome ``outcome`` (None: not ended)."""
    if outcome in _OUTCOME_OF:
        metric_record(REMEDIATIONS, Outcome=_OUTCOME_OF[outcome], ControlId=control_id)


def collector_lag_record(*, watermark: str | None, now: datetime) -> None:
    """Record how far the stored findings lag behind Security Hub when a sync starts: ``now``
    minus the watermark the last sync left (none before the first sync). A collector that keeps
    failing keeps reporting a growing lag."""
    if not watermark:
        return
    try:
        since = datetime.fromisoformat(watermark.replace("Z", "+00:00"))
    except ValueError:
        return
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    metric_record(COLLECTOR_LAG_SECONDS, max(0.0, (now - since).total_seconds()))
