"""DynamoDB stream -> Lambda event source mappings, created by bootstrap rather than Zappa.

Zappa 0.61+ builds stream event sources without ``StartingPosition`` and only logs the failure,
so the project creates them itself, each with:

- ``StartingPosition`` from the function list (TRIM_HORIZON: records written before the mapping
  existed are processed too; the consumers are idempotent);
- ``FunctionResponseTypes: ["ReportBatchItemFailures"]``: a handler reports the records that
  failed and only those are retried, so one bad record never blocks its batch;
- ``BisectBatchOnFunctionError``, ``MaximumRetryAttempts`` 5, and an on-failure destination (the
  deployment's SQS failure queue, 14 days), so a record that keeps failing is set aside, not lost.

A mapping whose starting position or stream differs is replaced (neither can change in place);
other settings are updated in place. The function must exist: before ``zappa deploy`` the mapping
is reported ``pending`` and the next bootstrap run creates it.
"""

from __future__ import annotations

from typing import Any

from deploy.functions import FunctionSpec
from deploy.naming import Deployment, function_deployed
from deploy.report import ResourceReport
from deploy.tables import stream_arn
from ouroboros.aws import client
from ouroboros.errors import OuroborosError
from ouroboros.models import ALL_MODELS, bind_models
from ouroboros.models.base import OuroborosModel

BATCH_SIZE = 10
MAX_RETRIES = 5
FAILURE_RETENTION_SECONDS = 14 * 24 * 3600


class MappingError(OuroborosError):
    """A stream mapping cannot be made (its table or stream is missing)."""


def stream_model(spec: FunctionSpec) -> type[OuroborosModel]:
    """The model whose table's stream feeds ``spec``."""
    for model in ALL_MODELS:
        if model.short_name == spec.stream_table and model.side == spec.side:
            return model
    raise MappingError(f"{spec.key}: no {spec.side} table {spec.stream_table!r}")


def mapping_wanted(spec: FunctionSpec, deployment: Deployment) -> dict[str, Any]:
    """The settings a mapping of ``spec`` must have (besides its stream and function)."""
    return {
        "StartingPosition": spec.starting_position,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "BatchSize": BATCH_SIZE,
        "MaximumRetryAttempts": MAX_RETRIES,
        "BisectBatchOnFunctionError": True,
        "DestinationConfig": {"OnFailure": {"Destination": deployment.failure_queue_arn}},
    }


def mapping_drift(mapping: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """The settings of ``mapping`` that differ from ``wanted`` (names only)."""
    drift = [key for key, value in wanted.items() if mapping.get(key) != value]
    if mapping.get("State") not in ("Enabled", "Enabling", "Creating", "Updating"):
        drift.append(f"state {mapping.get('State')}")
    return drift


def _mappings(function_arn: str, deployment: Deployment) -> list[dict[str, Any]]:
    lam = client("lambda", region=deployment.region)
    pages = lam.get_paginator("list_event_source_mappings").paginate(FunctionName=function_arn)
    return [m for page in pages for m in page["EventSourceMappings"]]


def mapping_ensure(spec: FunctionSpec, deployment: Deployment) -> ResourceReport:
    """Create, repair or keep the stream mapping of ``spec``."""
    bind_models()
    model = stream_model(spec)
    stream = stream_arn(model, deployment)
    name = f"{model.Meta.table_name} -> {spec.lambda_name(deployment.stage)}"
    if stream is None:
        raise MappingError(f"{model.Meta.table_name} has no stream: run the tables step first")
    function_arn = deployment.function_arn(spec)
    if not function_deployed(function_arn, deployment):
        return ResourceReport("stream mapping", name, "pending", ["function not deployed yet"])
    lam = client("lambda", region=deployment.region)
    wanted = mapping_wanted(spec, deployment)
    details = []
    current = None
    for mapping in _mappings(function_arn, deployment):
        if mapping["EventSourceArn"] == stream and current is None:
            current = mapping
            continue
        if mapping["EventSourceArn"].split("/stream/")[0] == stream.split("/stream/")[0]:
            lam.delete_event_source_mapping(UUID=mapping["UUID"])  # an old stream of the table
            details.append("removed mapping of a previous stream")
    if current is not None and current.get("StartingPosition") != spec.starting_position:
        lam.delete_event_source_mapping(UUID=current["UUID"])
        details.append(f"starting position {current.get('StartingPosition')} replaced")
        current = None
    if current is None:
        lam.create_event_source_mapping(
            EventSourceArn=stream, FunctionName=function_arn, Enabled=True, **wanted
        )
        return ResourceReport("stream mapping", name, "updated" if details else "created", details)
    drift = mapping_drift(current, wanted)
    if drift:
        update = {k: v for k, v in wanted.items() if k != "StartingPosition"}
        lam.update_event_source_mapping(UUID=current["UUID"], Enabled=True, **update)
    details += drift
    return ResourceReport("stream mapping", name, "updated" if details else "unchanged", details)


def mapping_problems(spec: FunctionSpec, deployment: Deployment) -> list[str]:
    """What is wrong with the stream mapping of ``spec`` (for the deployment check)."""
    bind_models()
    model = stream_model(spec)
    stream = stream_arn(model, deployment)
    if stream is None:
        return [f"{spec.key}: table {model.Meta.table_name} has no stream"]
    found = [
        m
        for m in _mappings(deployment.function_arn(spec), deployment)
        if m["EventSourceArn"] == stream
    ]
    if not found:
        return [f"{spec.key}: no stream mapping from {model.Meta.table_name}"]
    if len(found) > 1:
        return [f"{spec.key}: {len(found)} stream mappings from {model.Meta.table_name}"]
    drift = mapping_drift(found[0], mapping_wanted(spec, deployment))
    return [f"{spec.key}: stream mapping {d} differs" for d in drift]


def failure_queue_ensure(deployment: Deployment) -> ResourceReport:
    """The SQS queue that keeps stream records whose retries ran out (14 days, encrypted)."""
    sqs = client("sqs", region=deployment.region)
    name = deployment.failure_queue_name
    wanted = {
        "MessageRetentionPeriod": str(FAILURE_RETENTION_SECONDS),
        "SqsManagedSseEnabled": "true",
    }
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        sqs.create_queue(QueueName=name, Attributes=wanted)
        return ResourceReport("sqs queue", name, "created")
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(wanted))["Attributes"]
    drift = [k for k, v in wanted.items() if str(current.get(k, "")).lower() != v]
    if drift:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=wanted)
    return ResourceReport("sqs queue", name, "updated" if drift else "unchanged", drift)
