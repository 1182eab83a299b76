"""Production tables: created from the PynamoDB models, then kept as designed.

Each table of a side gets, on creation: its keys and GSIs from the model, on-demand billing, its
stream (view type from the model), deletion protection; then point-in-time recovery (retried
while DynamoDB is still setting up the new table's backups, `deploy.retry`). On later
runs the same properties are compared and what drifted is repaired: a missing GSI is added (one
per UpdateTable, waiting for it, as DynamoDB requires), a disabled stream re-enabled, deletion
protection and PITR switched back on, and time to live on the attribute a model names
(``ttl_attribute``, e.g. old notifications).

An index whose key schema or projection differs from the model's (issue 25 shrank the findings
indexes) cannot be changed in place: it is deleted, then created again, one ``UpdateTable``
each, waiting for the table and every index to be ACTIVE in between, as DynamoDB requires.
Before the first of them, the model's item upgrade (`ouroboros.models.tables.ITEM_UPGRADES`)
gives the items written by the previous version the attributes the new indexes read, so they
backfill complete. While an index is missing or backfilling, the console shows "index
rebuilding" for the lists it serves (`ouroboros.findings.selectors.IndexRebuildingError`).
Otherwise data is never touched. The local runtime makes the same upgrade
(`ouroboros.models.tables.tables_ensure`).
"""

from __future__ import annotations

import time
from typing import Any

from deploy.naming import Deployment
from deploy.report import ResourceReport
from deploy.retry import Sleep, propagation_retry
from ouroboros.aws import client
from ouroboros.models import CONSUMER_MODELS, HUB_MODELS, bind_models
from ouroboros.models.base import OuroborosModel
from ouroboros.models.tables import (
    attribute_definitions,
    index_definition,
    indexes_changed,
    indexes_rebuild,
)

WAIT_SECONDS = 600


def _models(deployment: Deployment) -> tuple[type[OuroborosModel], ...]:
    return HUB_MODELS if deployment.side == "hub" else CONSUMER_MODELS


def _create(model: type[OuroborosModel], name: str, deployment: Deployment) -> None:
    schema = model._get_schema()
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": attribute_definitions(model),
        "KeySchema": schema["key_schema"],
        "BillingMode": "PAY_PER_REQUEST",
        "DeletionProtectionEnabled": True,
        "Tags": [
            {"Key": "project", "Value": "ouroboros"},
            {"Key": "stage", "Value": deployment.stage},
        ],
    }
    if schema["global_secondary_indexes"]:
        indexes = schema["global_secondary_indexes"]
        kwargs["GlobalSecondaryIndexes"] = [index_definition(i) for i in indexes]
    if model.stream_view:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": model.stream_view}
    ddb = client("dynamodb", region=deployment.region)
    ddb.create_table(**kwargs)
    ddb.get_waiter("table_exists").wait(TableName=name)


def _ttl_problem(model: type[OuroborosModel], name: str, deployment: Deployment) -> str | None:
    """``time to live off`` when the model names a TTL attribute the table does not expire by."""
    attribute = getattr(model, "ttl_attribute", None)
    if not attribute:
        return None
    ddb = client("dynamodb", region=deployment.region)
    described = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if described.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and (
        described.get("AttributeName") == attribute
    ):
        return None
    return f"time to live off ({attribute})"


def _ttl_enable(model: type[OuroborosModel], name: str, deployment: Deployment) -> None:
    ddb = client("dynamodb", region=deployment.region)
    attribute = str(getattr(model, "ttl_attribute", ""))
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute}
    )


def _wait_active(name: str, deployment: Deployment) -> dict[str, Any]:
    ddb = client("dynamodb", region=deployment.region)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        table: dict[str, Any] = ddb.describe_table(TableName=name)["Table"]
        busy = table.get("TableStatus") != "ACTIVE" or any(
            gsi.get("IndexStatus") != "ACTIVE" for gsi in table.get("GlobalSecondaryIndexes", [])
        )
        if not busy or time.monotonic() > deadline:
            return table
        time.sleep(5)


def _pitr_enabled(name: str, deployment: Deployment) -> bool:
    ddb = client("dynamodb", region=deployment.region)
    description = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    status = description.get("PointInTimeRecoveryDescription", {})
    return bool(status.get("PointInTimeRecoveryStatus") == "ENABLED")


def _pitr_enable(name: str, deployment: Deployment, sleep: Sleep) -> None:
    """Switch PITR on; right after CreateTable DynamoDB refuses until backups are set up."""
    ddb = client("dynamodb", region=deployment.region)
    propagation_retry(
        lambda: ddb.update_continuous_backups(
            TableName=name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        ),
        retry_on={"ContinuousBackupsUnavailableException"},
        sleep=sleep,
        what=f"enable point-in-time recovery of {name}",
    )


def table_drift(model: type[OuroborosModel], table: dict[str, Any]) -> list[str]:
    """How the described ``table`` differs from what ``model`` needs (empty: as designed)."""
    drift = []
    present = {gsi["IndexName"] for gsi in table.get("GlobalSecondaryIndexes", [])}
    for index in model._get_schema()["global_secondary_indexes"]:
        if index["index_name"] not in present:
            drift.append(f"missing index {index['index_name']}")
    drift += [f"index {name} keys or projection changed" for name in indexes_changed(model, table)]
    stream = table.get("StreamSpecification") or {}
    if model.stream_view and (
        not stream.get("StreamEnabled") or stream.get("StreamViewType") != model.stream_view
    ):
        drift.append(f"stream not {model.stream_view}")
    if not table.get("DeletionProtectionEnabled"):
        drift.append("deletion protection off")
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    if billing != "PAY_PER_REQUEST":
        drift.append(f"billing {billing}")
    return drift


def _indexes_recreate(
    model: type[OuroborosModel], name: str, deployment: Deployment, table: Any
) -> Any:
    """Delete and create again each index whose keys or projection changed (module docstring)."""
    changed = indexes_changed(model, table)
    ddb = client("dynamodb", region=deployment.region)
    rebuilt = indexes_rebuild(model, ddb, name, changed, lambda: _wait_active(name, deployment))
    return rebuilt if rebuilt is not None else table


def _repair(model: type[OuroborosModel], name: str, deployment: Deployment, table: Any) -> None:
    ddb = client("dynamodb", region=deployment.region)
    table = _indexes_recreate(model, name, deployment, table)
    present = {gsi["IndexName"] for gsi in table.get("GlobalSecondaryIndexes", [])}
    for index in model._get_schema()["global_secondary_indexes"]:
        if index["index_name"] in present:
            continue
        ddb.update_table(
            TableName=name,
            AttributeDefinitions=attribute_definitions(model),
            GlobalSecondaryIndexUpdates=[{"Create": index_definition(index)}],
        )
        table = _wait_active(name, deployment)
    stream = table.get("StreamSpecification") or {}
    if model.stream_view and stream.get("StreamViewType") != model.stream_view:
        if stream.get("StreamEnabled"):  # a view type cannot change in place
            ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
            _wait_active(name, deployment)
        ddb.update_table(
            TableName=name,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": model.stream_view},
        )
        table = _wait_active(name, deployment)
    if not table.get("DeletionProtectionEnabled"):
        ddb.update_table(TableName=name, DeletionProtectionEnabled=True)
        table = _wait_active(name, deployment)
    if (table.get("BillingModeSummary") or {}).get("BillingMode") != "PAY_PER_REQUEST":
        ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
        _wait_active(name, deployment)


def tables_deploy(deployment: Deployment, *, sleep: Sleep = time.sleep) -> list[ResourceReport]:
    """Create or repair every table of the deployment's side; one report per table.

    ``sleep`` paces the retries of enabling point-in-time recovery (`deploy.retry`).
    """
    bind_models()
    ddb = client("dynamodb", region=deployment.region)
    reports = []
    for model in _models(deployment):
        name = model.Meta.table_name
        try:
            table = ddb.describe_table(TableName=name)["Table"]
        except ddb.exceptions.ResourceNotFoundException:
            _create(model, name, deployment)
            _pitr_enable(name, deployment, sleep)
            if _ttl_problem(model, name, deployment):
                _ttl_enable(model, name, deployment)
            reports.append(ResourceReport("dynamodb table", name, "created"))
            continue
        drift = table_drift(model, table)
        if drift:
            _repair(model, name, deployment, _wait_active(name, deployment))
        if not _pitr_enabled(name, deployment):
            drift.append("point-in-time recovery off")
            _pitr_enable(name, deployment, sleep)
        ttl = _ttl_problem(model, name, deployment)
        if ttl:
            drift.append(ttl)
            _ttl_enable(model, name, deployment)
        reports.append(
            ResourceReport("dynamodb table", name, "updated" if drift else "unchanged", drift)
        )
    return reports


def table_problems(model: type[OuroborosModel], deployment: Deployment) -> list[str]:
    """What is wrong with ``model``'s table in the deployment (for the deployment check)."""
    ddb = client("dynamodb", region=deployment.region)
    name = model.Meta.table_name
    try:
        table = ddb.describe_table(TableName=name)["Table"]
    except ddb.exceptions.ResourceNotFoundException:
        return [f"table {name} missing"]
    problems = [f"table {name}: {d}" for d in table_drift(model, table)]
    if not _pitr_enabled(name, deployment):
        problems.append(f"table {name}: point-in-time recovery off")
    ttl = _ttl_problem(model, name, deployment)
    if ttl:
        problems.append(f"table {name}: {ttl}")
    return problems


def stream_arn(model: type[OuroborosModel], deployment: Deployment) -> str | None:
    """The table's current stream ARN, or None (no table, no stream)."""
    ddb = client("dynamodb", region=deployment.region)
    try:
        table = ddb.describe_table(TableName=model.Meta.table_name)["Table"]
    except ddb.exceptions.ResourceNotFoundException:
        return None
    arn: str | None = table.get("LatestStreamArn")
    return arn
