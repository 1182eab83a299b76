"""The CloudWatch alarms and dashboards bootstrap creates (`deploy.alarms`), in in-process moto.

- each alarm exists with the threshold, period, statistic and missing-data treatment of
  `deploy.alarms.ALARMS`, and the README's Runbook lists exactly those numbers;
- a second run changes nothing; the check reports a deleted and a changed alarm and a changed
  dashboard, which bootstrap repairs (keeping the actions someone added); teardown deletes them
  (`tests/deploy/test_rehearsal.py` runs the whole teardown);
- the dashboard's body has the structure CloudWatch's dashboard body syntax documents, and names
  only metrics `ouroboros.observability.metrics` publishes (with the dimension sets it publishes
  them with) or AWS's own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from deploy.alarms import (
    ALARMS,
    alarm_problems,
    alarms_delete,
    alarms_ensure,
    alarms_for,
    dashboard_body,
    dashboard_name,
)
from deploy.functions import functions_for
from deploy.naming import Deployment, deployment_current
from ouroboros.aws import client
from ouroboros.observability.metrics import DIMENSION_SETS, METRICS_NAMESPACE

pytestmark = pytest.mark.functional

README = Path(__file__).resolve().parents[2] / "README.md"

#: AWS's own metrics the dashboard may graph: (namespace, metric) -> its dimension.
AWS_METRICS = {
    ("AWS/States", "ExecutionsStarted"): "StateMachineArn",
    ("AWS/States", "ExecutionsSucceeded"): "StateMachineArn",
    ("AWS/States", "ExecutionsFailed"): "StateMachineArn",
    ("AWS/States", "ExecutionsTimedOut"): "StateMachineArn",
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): "QueueName",
}

# CloudWatch's dashboard body syntax ("Dashboard Body Structure and Syntax"), the parts used.
_RENDERING = {
    "type": "object",
    "propertyNames": {
        "enum": [
            *("accountId", "color", "id", "label", "period", "region", "stat", "visible"),
            *("yAxis", "expression"),
        ]
    },
}
_METRIC_ROW = {"type": "array", "minItems": 2, "items": {"type": ["string", "object"]}}
_EXPRESSION_ROW = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {**_RENDERING, "required": ["expression"]},
}
_METRIC_PROPERTIES = {
    "type": "object",
    "required": ["metrics", "region"],
    "additionalProperties": False,
    "properties": {
        "metrics": {
            "type": "array",
            "minItems": 1,
            "maxItems": 100,
            "items": {"oneOf": [_METRIC_ROW, _EXPRESSION_ROW]},
        },
        "region": {"type": "string", "pattern": r"^[a-z]{2}(-[a-z]+)+-\d$"},
        "view": {"enum": ["timeSeries", "singleValue", "gauge", "bar", "pie", "table"]},
        "period": {"type": "integer", "minimum": 60, "multipleOf": 60},
        "title": {"type": "string"},
        "stat": {"type": "string"},
        "annotations": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "horizontal": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["value"],
                        "properties": {"value": {"type": "number"}, "label": {"type": "string"}},
                    },
                }
            },
        },
    },
}
DASHBOARD_SCHEMA = {
    "type": "object",
    "required": ["widgets"],
    "properties": {
        "widgets": {
            "type": "array",
            "maxItems": 500,
            "items": {
                "type": "object",
                "required": ["type", "properties"],
                "additionalProperties": False,
                "properties": {
                    "type": {"enum": ["metric", "text", "log", "alarm", "explorer", "custom"]},
                    "x": {"type": "integer", "minimum": 0, "maximum": 23},
                    "y": {"type": "integer", "minimum": 0},
                    "width": {"type": "integer", "minimum": 1, "maximum": 24},
                    "height": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "properties": {"type": "object"},
                },
                "allOf": [
                    {
                        "if": {"properties": {"type": {"const": "metric"}}},
                        "then": {"properties": {"properties": _METRIC_PROPERTIES}},
                    },
                    {
                        "if": {"properties": {"type": {"const": "text"}}},
                        "then": {"properties": {"properties": {"required": ["markdown"]}}},
                    },
                    {
                        "if": {"properties": {"type": {"const": "alarm"}}},
                        "then": {
                            "properties": {
                                "properties": {
                                    "required": ["alarms"],
                                    "properties": {
                                        "alarms": {
                                            "type": "array",
                                            "minItems": 1,
                                            "maxItems": 100,
                                            "items": {"pattern": "^arn:aws:cloudwatch:"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                ],
            },
        }
    },
}
_QUERY = re.compile(
    r"SELECT (?:SUM|MAX|MIN|AVG|COUNT)\((\w+)\) FROM SCHEMA\(([\w/]+), (\w+)\) GROUP BY (\w+)"
)


def _alarms() -> dict[str, dict[str, Any]]:
    found = client("cloudwatch").describe_alarms(AlarmNamePrefix="ouroboros-")["MetricAlarms"]
    return {a["AlarmName"]: a for a in found}


def _ensure(side: str) -> tuple[Deployment, list[Any]]:
    deployment = deployment_current(side)  # type: ignore[arg-type]
    return deployment, alarms_ensure(functions_for(side), deployment)  # type: ignore[arg-type]


def test_bootstrap_creates_each_alarm_as_the_table_says_and_a_rerun_changes_nothing(
    moto_aws: None,
) -> None:
    deployment, first = _ensure("consumer")
    stage = deployment.stage
    assert [(r.kind, r.action) for r in first] == [("cloudwatch alarm", "created")] * 4 + [
        ("cloudwatch dashboard", "created")
    ]
    alarms = _alarms()
    assert sorted(alarms) == sorted(
        f"ouroboros-{stage}-{key}"
        for key in ("workflow-failed", "reactor-errors", "stream-failures", "collector-lag")
    ), "only the consumer's alarms"
    for spec in alarms_for("consumer"):
        alarm = alarms[spec.name(deployment)]
        assert (alarm["Namespace"], alarm["MetricName"]) == (spec.namespace, spec.metric)
        assert alarm["Threshold"] == spec.threshold
        assert alarm["Period"] == spec.period and alarm["Statistic"] == spec.statistic
        assert alarm["TreatMissingData"] == spec.missing_data
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    failed = alarms[f"ouroboros-{stage}-workflow-failed"]
    assert (failed["Namespace"], failed["MetricName"], failed["Threshold"]) == (
        "AWS/States",
        "ExecutionsFailed",
        1.0,
    )
    assert failed["Dimensions"] == [
        {"Name": "StateMachineArn", "Value": deployment.state_machine_arn}
    ]
    dead = alarms[f"ouroboros-{stage}-stream-failures"]
    assert dead["Dimensions"] == [
        {"Name": "QueueName", "Value": f"ouroboros-{stage}-stream-failures"}
    ]
    assert alarms[f"ouroboros-{stage}-collector-lag"]["TreatMissingData"] == "breaching"
    assert alarms[f"ouroboros-{stage}-reactor-errors"]["Dimensions"] == []

    _, again = _ensure("consumer")
    assert {r.action for r in again} == {"unchanged"}, [r.line() for r in again]
    assert alarm_problems(functions_for("consumer"), deployment) == []


def test_the_hub_gets_its_own_alarms_and_dashboard(moto_aws: None) -> None:
    deployment, reports = _ensure("hub")
    stage = deployment.stage
    assert sorted(_alarms()) == [
        f"ouroboros-{stage}-stream-failures",
        f"ouroboros-{stage}-verification-rejections",
    ]
    assert reports[-1].name == f"ouroboros-{stage}-hub"
    body = json.loads(
        client("cloudwatch").get_dashboard(DashboardName=reports[-1].name)["DashboardBody"]
    )
    assert body == dashboard_body(alarms_for("hub"), deployment)


def test_an_alarm_is_made_only_where_its_metric_is_produced(moto_aws: None) -> None:
    without = tuple(s for s in functions_for("consumer") if s.key != "collect_findings")
    assert "collector-lag" not in [a.key for a in alarms_for("consumer", without)]
    no_streams = tuple(s for s in without if s.trigger != "stream")
    assert [a.key for a in alarms_for("consumer", no_streams)] == [
        "workflow-failed",
        "reactor-errors",
    ]


def test_the_check_reports_a_deleted_or_changed_alarm_and_bootstrap_repairs_both(
    moto_aws: None,
) -> None:
    deployment, _ = _ensure("consumer")
    cloudwatch, stage = client("cloudwatch"), deployment.stage
    cloudwatch.delete_alarms(AlarmNames=[f"ouroboros-{stage}-reactor-errors"])
    lag = _alarms()[f"ouroboros-{stage}-collector-lag"]
    topic = f"arn:aws:sns:us-east-1:{deployment.account}:pager"
    changed = {k: lag[k] for k in ("AlarmName", "Namespace", "MetricName", "Statistic")}
    cloudwatch.put_metric_alarm(
        **changed,
        Period=lag["Period"],
        EvaluationPeriods=1,
        Threshold=7200.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmDescription=lag["AlarmDescription"],
        AlarmActions=[topic],
    )
    body = dashboard_body(alarms_for("consumer"), deployment)
    body["widgets"].pop()
    cloudwatch.put_dashboard(
        DashboardName=dashboard_name(deployment), DashboardBody=json.dumps(body)
    )

    assert alarm_problems(functions_for("consumer"), deployment) == [
        f"alarm ouroboros-{stage}-reactor-errors missing",
        f"alarm ouroboros-{stage}-collector-lag: Threshold differs",
        f"alarm ouroboros-{stage}-collector-lag: TreatMissingData differs",
        f"dashboard ouroboros-{stage}-consumer: widgets differ from deploy/alarms.py",
    ]
    _, repaired = _ensure("consumer")
    assert {r.name: (r.action, r.details) for r in repaired if r.action != "unchanged"} == {
        f"ouroboros-{stage}-reactor-errors": ("created", []),
        f"ouroboros-{stage}-collector-lag": ("updated", ["Threshold", "TreatMissingData"]),
        f"ouroboros-{stage}-consumer": ("updated", []),
    }
    lag = _alarms()[f"ouroboros-{stage}-collector-lag"]
    assert (lag["Threshold"], lag["TreatMissingData"]) == (3600.0, "breaching")
    assert lag["AlarmActions"] == [topic], "an action someone added survives the repair"
    assert alarm_problems(functions_for("consumer"), deployment) == []


def test_teardown_deletes_the_alarms_and_the_dashboard(moto_aws: None) -> None:
    """`alarms_delete` is teardown's first step (the rehearsal's teardown test runs it whole)."""
    deployment, _ = _ensure("consumer")
    stage = deployment.stage
    first = {(r.kind, r.name): r.action for r in alarms_delete(deployment)}
    assert first[("cloudwatch alarm", f"ouroboros-{stage}-workflow-failed")] == "deleted"
    assert first[("cloudwatch dashboard", f"ouroboros-{stage}-consumer")] == "deleted"
    assert _alarms() == {}
    assert client("cloudwatch").list_dashboards()["DashboardEntries"] == []
    again = alarms_delete(deployment)
    assert {r.action for r in again} == {"absent"} and len(again) == 5


@pytest.mark.parametrize("side", ["consumer", "hub"])
def test_the_dashboard_body_is_valid_and_names_only_published_metrics(
    moto_aws: None, side: str
) -> None:
    deployment = deployment_current(side)  # type: ignore[arg-type]
    body = dashboard_body(alarms_for(side), deployment)  # type: ignore[arg-type]
    jsonschema.validate(body, DASHBOARD_SCHEMA)
    named = set()
    for widget in body["widgets"]:
        if widget["type"] == "alarm":
            assert widget["properties"]["alarms"] == [
                a.arn(deployment)
                for a in alarms_for(side)  # type: ignore[arg-type]
            ]
        for row in widget["properties"].get("metrics", []):
            if "expression" in row[0]:
                metric, namespace, dimension, group = _QUERY.fullmatch(
                    row[0]["expression"]
                ).groups()  # type: ignore[union-attr]
                assert namespace == METRICS_NAMESPACE and dimension == group
                assert (dimension,) in DIMENSION_SETS[metric], "a set the metric is published with"
                named.add((namespace, metric))
                continue
            strings = [part for part in row if isinstance(part, str)]
            assert all(isinstance(part, dict) for part in row[len(strings) :]), "options last"
            namespace, metric, *dimensions = strings
            named.add((namespace, metric))
            if namespace == METRICS_NAMESPACE:
                assert dimensions == [] and () in DIMENSION_SETS[metric]
            else:
                assert dimensions[::2] == [AWS_METRICS[(namespace, metric)]]
    for namespace, metric in named:
        assert (namespace, metric) in AWS_METRICS or (
            namespace == METRICS_NAMESPACE and metric in DIMENSION_SETS
        ), (namespace, metric)
    if side == "consumer":
        assert ("AWS/States", "ExecutionsFailed") in named
        assert {m for n, m in named if n == METRICS_NAMESPACE} == set(DIMENSION_SETS) - {
            "VerificationRejections"
        }
    boxes = [(w["x"], w["y"], w["width"], w["height"]) for w in body["widgets"]]
    for i, (x, y, w, h) in enumerate(boxes):
        assert x + w <= 24
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, "no overlap"


def test_every_alarmed_metric_of_the_functions_is_published_without_dimensions() -> None:
    """The alarms watch the total; a metric published only per reactor would never fire one."""
    for spec in ALARMS:
        if spec.namespace == METRICS_NAMESPACE:
            assert () in DIMENSION_SETS[spec.metric], spec.metric


def _runbook() -> str:
    text = README.read_text()
    start = text.index("\n## Runbook\n")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readme_runbook_lists_exactly_the_alarms_of_the_table() -> None:
    runbook = _runbook()
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in runbook.splitlines()
        if line.startswith("| `")
    ]
    documented = {row[0].strip("`"): row[1:] for row in rows}
    wanted: dict[str, list[str]] = {}
    for spec in ALARMS:
        row = wanted.setdefault(
            spec.key,
            ["", f"`{spec.namespace}` `{spec.metric}`", spec.condition, spec.missing_data],
        )
        row[0] = f"{row[0]}, {spec.side}" if row[0] else spec.side
        assert row[1:] == [f"`{spec.namespace}` `{spec.metric}`", spec.condition, spec.missing_data]
    assert documented == wanted
    assert wanted["collector-lag"][2] == "Maximum >= 3600 over 60 min"
    for key in wanted:
        entry = runbook.split(f"#### `{key}`\n", 1)[1].split("\n#### ", 1)[0]
        for part in ("**Means**", "**Look at**", "**Do**"):
            assert part in entry, (key, part)
