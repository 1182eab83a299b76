"""CloudWatch alarms and the dashboard bootstrap creates for one side; their check and teardown.

`ALARMS` is the one table of alarms: what each watches, its threshold, period and how it treats
missing data. The README's "Runbook" lists the same numbers (a test keeps them equal) and says,
per alarm, what it means, what to look at and what to do. Every alarm is named
``ouroboros-<stage>-<key>`` and created only where its metric can exist (`AlarmSpec.needs`).

- AWS's own metrics are watched directly: ``AWS/States`` ``ExecutionsFailed`` of the state
  machine, ``AWS/SQS`` ``ApproximateNumberOfMessagesVisible`` of the stream failure queue (the
  only dead-letter queue a deployment has: stream records whose retries ran out, `deploy.streams`;
  both sides in one account share it, and so its alarm).
- The functions' own metrics (`ouroboros.observability.metrics`, embedded metric format) are
  published once per dimension set of its ``DIMENSION_SETS``; every alarmed one also without
  dimensions (a test holds that module to it), and that total is what its alarm watches, so a
  reactor installed after bootstrap is watched too. The namespace has no stage dimension: two
  stages in one account and region add up (the README deploys one stage per account).
- Missing data is "not breaching" for counts (no error reported is no error), and "breaching"
  for the collector's lag: a collector that stopped running reports no lag at all, which is the
  failure that alarm exists for. A new deployment's collector-lag alarm is therefore in ALARM
  until ``collect_findings`` has run twice (the lag is measured from the watermark the previous
  run left, at the start of a run).

PutMetricAlarm and PutDashboard are upserts; bootstrap reads first and writes only what differs,
so a second run reports ``unchanged``. Bootstrap sets no alarm actions and keeps those someone
added (an SNS topic of theirs) when it repairs an alarm. The dashboard graphs the per-dimension
series with Metrics Insights queries on exactly one dimension set each (``SCHEMA``), so no event
is counted twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from deploy.functions import FunctionSpec
from deploy.naming import Deployment
from deploy.report import Action, ResourceReport
from ouroboros.aws import client
from ouroboros.config import Role
from ouroboros.observability.metrics import (
    COLLECTOR_LAG_SECONDS,
    COLLECTOR_PAGES,
    INSTALLER_RESULTS,
    METRICS_NAMESPACE,
    REACTOR_ERRORS,
    REMEDIATIONS,
    SKIPS,
    VERIFICATION_REJECTIONS,
    WORKFLOW_FAILURES,
)

STATES_NAMESPACE = "AWS/States"
SQS_NAMESPACE = "AWS/SQS"
COMPARISON = "GreaterThanOrEqualToThreshold"
#: `AlarmSpec.needs` value: the side runs a stream-triggered function (so it has the queue).
ANY_STREAM_FUNCTION = "stream"
#: The state machine's execution counts the dashboard graphs (AWS/States, per StateMachineArn).
EXECUTION_METRICS = (
    "ExecutionsStarted",
    "ExecutionsSucceeded",
    "ExecutionsFailed",
    "ExecutionsTimedOut",
)
QUEUE_DEPTH = "ApproximateNumberOfMessagesVisible"

Statistic = Literal["Sum", "Maximum"]
MissingData = Literal["notBreaching", "breaching"]


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: fires when ``statistic`` of ``metric`` over ``period`` seconds is at least
    ``threshold`` in ``evaluation_periods`` consecutive periods."""

    key: str
    side: Role
    namespace: str
    metric: str
    statistic: Statistic
    threshold: float
    period: int
    missing_data: MissingData
    #: The function whose presence on the side makes the metric exist (or `ANY_STREAM_FUNCTION`).
    needs: str
    summary: str
    evaluation_periods: int = 1

    def name(self, deployment: Deployment) -> str:
        return f"{deployment.prefix}-{self.key}"

    def arn(self, deployment: Deployment) -> str:
        where = f"{deployment.region}:{deployment.account}"
        return f"arn:aws:cloudwatch:{where}:alarm:{self.name(deployment)}"

    @property
    def condition(self) -> str:
        """``Sum >= 1 over 5 min``: when the alarm fires, as the README's runbook table says it."""
        periods = f" for {self.evaluation_periods} periods" if self.evaluation_periods > 1 else ""
        return f"{self.statistic} >= {self.threshold:g} over {self.period // 60} min{periods}"


_DEAD_LETTERS = "Stream records whose retries ran out wait in the failure queue (dead letters)."

ALARMS: tuple[AlarmSpec, ...] = (
    AlarmSpec(
        key="workflow-failed",
        side="consumer",
        namespace=STATES_NAMESPACE,
        metric="ExecutionsFailed",
        statistic="Sum",
        threshold=1,
        period=300,
        missing_data="notBreaching",
        needs="dispatch_finding",
        summary="A remediation workflow execution failed as a whole (Parse, or the Map itself).",
    ),
    AlarmSpec(
        key="reactor-errors",
        side="consumer",
        namespace=METRICS_NAMESPACE,
        metric=REACTOR_ERRORS,
        statistic="Sum",
        threshold=1,
        period=300,
        missing_data="notBreaching",
        needs="dispatch_finding",
        summary="A reactor failed while remediating a finding (any reactor, any control).",
    ),
    AlarmSpec(
        key="stream-failures",
        side="consumer",
        namespace=SQS_NAMESPACE,
        metric=QUEUE_DEPTH,
        statistic="Maximum",
        threshold=1,
        period=300,
        missing_data="notBreaching",
        needs=ANY_STREAM_FUNCTION,
        summary=_DEAD_LETTERS,
    ),
    AlarmSpec(
        key="collector-lag",
        side="consumer",
        namespace=METRICS_NAMESPACE,
        metric=COLLECTOR_LAG_SECONDS,
        statistic="Maximum",
        threshold=3600,
        period=3600,
        missing_data="breaching",
        needs="collect_findings",
        summary="Findings arrive over an hour late, or the collector did not run for an hour.",
    ),
    AlarmSpec(
        key="verification-rejections",
        side="hub",
        namespace=METRICS_NAMESPACE,
        metric=VERIFICATION_REJECTIONS,
        statistic="Sum",
        threshold=1,
        period=300,
        missing_data="notBreaching",
        needs="hub_verify",
        summary="The Hub's verifier rejected a published reactor version.",
    ),
    AlarmSpec(
        key="stream-failures",
        side="hub",
        namespace=SQS_NAMESPACE,
        metric=QUEUE_DEPTH,
        statistic="Maximum",
        threshold=1,
        period=300,
        missing_data="notBreaching",
        needs=ANY_STREAM_FUNCTION,
        summary=_DEAD_LETTERS,
    ),
)


def alarms_for(side: Role, specs: tuple[FunctionSpec, ...] | None = None) -> list[AlarmSpec]:
    """The side's alarms; with ``specs``, only those whose metric these functions produce."""
    wanted = [a for a in ALARMS if a.side == side]
    if specs is None:
        return wanted
    keys = {s.key for s in specs}
    streams = any(s.trigger == "stream" for s in specs)
    return [a for a in wanted if a.needs in keys or (a.needs == ANY_STREAM_FUNCTION and streams)]


def _dimensions(alarm: AlarmSpec, deployment: Deployment) -> list[dict[str, str]]:
    if alarm.namespace == STATES_NAMESPACE:
        return [{"Name": "StateMachineArn", "Value": deployment.state_machine_arn}]
    if alarm.namespace == SQS_NAMESPACE:
        return [{"Name": "QueueName", "Value": deployment.failure_queue_name}]
    return []  # the functions' total, published without dimensions


def alarm_wanted(alarm: AlarmSpec, deployment: Deployment) -> dict[str, Any]:
    """The PutMetricAlarm arguments of ``alarm`` in ``deployment`` (tags and actions aside)."""
    return {
        "AlarmName": alarm.name(deployment),
        "AlarmDescription": f"{alarm.summary} Runbook: README.md, Runbook, {alarm.key}.",
        "Namespace": alarm.namespace,
        "MetricName": alarm.metric,
        "Dimensions": _dimensions(alarm, deployment),
        "Statistic": alarm.statistic,
        "Period": alarm.period,
        "EvaluationPeriods": alarm.evaluation_periods,
        "Threshold": float(alarm.threshold),
        "ComparisonOperator": COMPARISON,
        "TreatMissingData": alarm.missing_data,
    }


#: What the check compares (absent and empty are the same; ``Metrics`` so that an alarm turned
#: into a math expression counts as drift).
_COMPARED = (
    "AlarmDescription",
    "Namespace",
    "MetricName",
    "Dimensions",
    "Statistic",
    "Period",
    "EvaluationPeriods",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "Metrics",
)
#: Kept as found when bootstrap repairs an alarm (PutMetricAlarm replaces the whole alarm).
_ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")


def alarm_drift(current: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """The settings of ``current`` (as DescribeAlarms returns it) that differ from ``wanted``."""
    return [k for k in _COMPARED if (current.get(k) or None) != (wanted.get(k) or None)]


def _described(names: list[str], deployment: Deployment) -> dict[str, dict[str, Any]]:
    if not names:
        return {}
    cloudwatch = client("cloudwatch", region=deployment.region)
    found = cloudwatch.describe_alarms(AlarmNames=names, AlarmTypes=["MetricAlarm"])
    return {a["AlarmName"]: a for a in found["MetricAlarms"]}


def alarms_ensure(specs: tuple[FunctionSpec, ...], deployment: Deployment) -> list[ResourceReport]:
    """Create or repair the side's alarms, then its dashboard; one report each."""
    cloudwatch = client("cloudwatch", region=deployment.region)
    alarms = alarms_for(deployment.side, specs)
    current = _described([a.name(deployment) for a in alarms], deployment)
    tags = [{"Key": "project", "Value": "ouroboros"}, {"Key": "stage", "Value": deployment.stage}]
    reports = []
    for alarm in alarms:
        wanted = alarm_wanted(alarm, deployment)
        found = current.get(wanted["AlarmName"])
        drift = alarm_drift(found, wanted) if found else []
        if found and not drift:
            reports.append(ResourceReport("cloudwatch alarm", wanted["AlarmName"], "unchanged"))
            continue
        kept = {k: found[k] for k in _ACTIONS if found and found.get(k)}
        cloudwatch.put_metric_alarm(**wanted, **kept, Tags=tags)
        action: Action = "updated" if found else "created"
        reports.append(ResourceReport("cloudwatch alarm", wanted["AlarmName"], action, drift))
    reports.append(dashboard_ensure(alarms, deployment))
    return reports


def alarm_problems(specs: tuple[FunctionSpec, ...], deployment: Deployment) -> list[str]:
    """What is missing or not as designed among the side's alarms and its dashboard."""
    alarms = alarms_for(deployment.side, specs)
    current = _described([a.name(deployment) for a in alarms], deployment)
    problems = []
    for alarm in alarms:
        wanted = alarm_wanted(alarm, deployment)
        name = wanted["AlarmName"]
        if name not in current:
            problems.append(f"alarm {name} missing")
            continue
        problems += [f"alarm {name}: {key} differs" for key in alarm_drift(current[name], wanted)]
    name = dashboard_name(deployment)
    body = _dashboard_current(deployment)
    if body is None:
        problems.append(f"dashboard {name} missing")
    elif body != dashboard_body(alarms, deployment):
        problems.append(f"dashboard {name}: widgets differ from deploy/alarms.py")
    return problems


def alarms_delete(deployment: Deployment) -> list[ResourceReport]:
    """Delete every alarm of the side in `ALARMS` (whichever exist) and the side's dashboard."""
    cloudwatch = client("cloudwatch", region=deployment.region)
    names = list(dict.fromkeys(a.name(deployment) for a in alarms_for(deployment.side)))
    current = _described(names, deployment)
    if current:
        cloudwatch.delete_alarms(AlarmNames=list(current))
    reports = [
        ResourceReport("cloudwatch alarm", n, "deleted" if n in current else "absent")
        for n in names
    ]
    name = dashboard_name(deployment)
    if _dashboard_current(deployment) is None:
        return [*reports, ResourceReport("cloudwatch dashboard", name, "absent")]
    cloudwatch.delete_dashboards(DashboardNames=[name])
    return [*reports, ResourceReport("cloudwatch dashboard", name, "deleted")]


# The dashboard ------------------------------------------------------------------------------

WIDGET_WIDTH = 12
WIDGET_HEIGHT = 6
GRAPH_PERIOD = 300


def dashboard_name(deployment: Deployment) -> str:
    """``ouroboros-<stage>-consumer`` / ``-hub``: both sides may share one account."""
    return f"{deployment.prefix}-{deployment.side}"


def insights_query(statistic: str, metric: str, group_by: str) -> str:
    """A Metrics Insights query of one of the functions' metrics: one series per ``group_by``
    value, over that dimension set only (the same events are also published without it)."""
    source = f"SCHEMA({METRICS_NAMESPACE}, {group_by})"
    # S608: the parts are this module's constants, never input.
    return f"SELECT {statistic.upper()}({metric}) FROM {source} GROUP BY {group_by}"  # noqa: S608


def _threshold(alarm: AlarmSpec | None) -> dict[str, Any]:
    """A horizontal line at the threshold of the alarm watching the graph's metric."""
    if alarm is None:
        return {}
    line = {"label": f"alarm {alarm.key}", "value": alarm.threshold}
    return {"annotations": {"horizontal": [line]}}


def _graph(
    title: str, metrics: list[list[Any]], deployment: Deployment, alarm: AlarmSpec | None = None
) -> dict[str, Any]:
    properties = {
        "title": title,
        "view": "timeSeries",
        "region": deployment.region,
        "period": GRAPH_PERIOD,
        "metrics": metrics,
        **_threshold(alarm),
    }
    return {"type": "metric", "properties": properties}


def _by(statistic: str, metric: str, dimension: str) -> list[list[Any]]:
    query = insights_query(statistic, metric, dimension)
    return [[{"expression": query, "id": "q1", "label": metric}]]


def _total(statistic: str, *metrics: str) -> list[list[Any]]:
    return [[METRICS_NAMESPACE, metric, {"stat": statistic}] for metric in metrics]


def _widgets(alarms: list[AlarmSpec], deployment: Deployment) -> list[dict[str, Any]]:
    watched = {a.key: a for a in alarms}
    widgets = []
    if deployment.side == "consumer":
        machine = ["StateMachineArn", deployment.state_machine_arn]
        executions = [[STATES_NAMESPACE, m, *machine, {"stat": "Sum"}] for m in EXECUTION_METRICS]
        lag = _total("Maximum", COLLECTOR_LAG_SECONDS)
        errors = _by("Sum", REACTOR_ERRORS, "ReactorId")
        widgets += [
            _graph("Workflow executions", executions, deployment, watched.get("workflow-failed")),
            _graph("Reactor errors", errors, deployment, watched.get("reactor-errors")),
            _graph("Remediations by outcome", _by("Sum", REMEDIATIONS, "Outcome"), deployment),
            _graph("Skips by reason", _by("Sum", SKIPS, "Reason"), deployment),
            _graph("Workflow item failures", _total("Sum", WORKFLOW_FAILURES), deployment),
            _graph("Collector lag (seconds)", lag, deployment, watched.get("collector-lag")),
            _graph("Collector pages", _total("Sum", COLLECTOR_PAGES), deployment),
            _graph("Installer results", _by("Sum", INSTALLER_RESULTS, "Result"), deployment),
        ]
    else:
        rejections = _total("Sum", VERIFICATION_REJECTIONS)
        alarm = watched.get("verification-rejections")
        widgets.append(_graph("Verification rejections", rejections, deployment, alarm))
    depth = [SQS_NAMESPACE, QUEUE_DEPTH, "QueueName", deployment.failure_queue_name]
    dead = [[*depth, {"stat": "Maximum"}]]
    title = "Dead letters (stream failure queue)"
    widgets.append(_graph(title, dead, deployment, watched.get("stream-failures")))
    return widgets


def dashboard_body(alarms: list[AlarmSpec], deployment: Deployment) -> dict[str, Any]:
    """The side's dashboard: a heading, its alarms' states, then its graphs, two a row."""
    heading = (
        f"# Ouroboros {deployment.stage} ({deployment.side})\n"
        "What each alarm means and what to do: README.md, section Runbook."
    )
    widgets: list[dict[str, Any]] = [
        {
            "type": "text",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 2,
            "properties": {"markdown": heading},
        }
    ]
    row = 2
    if alarms:
        status = {"title": "Alarms", "alarms": [a.arn(deployment) for a in alarms]}
        widgets.append(
            {"type": "alarm", "x": 0, "y": row, "width": 24, "height": 3, "properties": status}
        )
        row += 3
    for index, widget in enumerate(_widgets(alarms, deployment)):
        place = {
            "x": (index % 2) * WIDGET_WIDTH,
            "y": row + (index // 2) * WIDGET_HEIGHT,
            "width": WIDGET_WIDTH,
            "height": WIDGET_HEIGHT,
        }
        widgets.append({"type": widget["type"], **place, "properties": widget["properties"]})
    return {"widgets": widgets}


def _dashboard_current(deployment: Deployment) -> dict[str, Any] | None:
    cloudwatch = client("cloudwatch", region=deployment.region)
    try:
        found = cloudwatch.get_dashboard(DashboardName=dashboard_name(deployment))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFound":
            raise
        return None
    return dict(json.loads(found["DashboardBody"]))


def dashboard_ensure(alarms: list[AlarmSpec], deployment: Deployment) -> ResourceReport:
    """Write the side's dashboard when it is missing or differs (PutDashboard replaces it)."""
    name = dashboard_name(deployment)
    wanted = dashboard_body(alarms, deployment)
    current = _dashboard_current(deployment)
    if current == wanted:
        return ResourceReport("cloudwatch dashboard", name, "unchanged")
    cloudwatch = client("cloudwatch", region=deployment.region)
    answer = cloudwatch.put_dashboard(DashboardName=name, DashboardBody=json.dumps(wanted))
    notes = [m.get("Message", "") for m in answer.get("DashboardValidationMessages", [])]
    action: Action = "created" if current is None else "updated"
    return ResourceReport("cloudwatch dashboard", name, action, [n for n in notes if n])
