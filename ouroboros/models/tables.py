"""Creating the tables: idempotent, used by bootstrap, the local runtime and tests only.

`tables_ensure` creates what is missing (with streams and GSIs) and leaves existing tables and
their data alone; it reports, per table, ``created`` or ``exists`` and any index or stream the
existing table lacks (``drift``), so a second run is visibly a no-op.

One upgrade it does make: an index whose keys or projection differ from the model's
(`indexes_changed`: issue 25 shrank the findings indexes) is rebuilt, as on AWS
(`deploy.tables`): the model's item upgrade (`ITEM_UPGRADES`) first, then each changed index
deleted and created again, one ``UpdateTable`` each, waiting for ACTIVE in between. So a local
runtime's data folder from an older version keeps its findings and serves the new lists; the
report names each rebuilt index.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError

from ouroboros.errors import OuroborosError
from ouroboros.models import ALL_MODELS, CONSUMER_MODELS, HUB_MODELS, FindingModel, bind_models
from ouroboros.models.base import OuroborosModel
from ouroboros.models.findings import finding_items_upgrade

#: Model -> what gives its old items the attributes its current indexes read (run before an
#: index of that model is rebuilt, and again after: what was written meanwhile).
ITEM_UPGRADES: dict[type[OuroborosModel], Callable[[Any, str], int]] = {
    FindingModel: finding_items_upgrade,
}
#: How long a rebuild waits for the table and its indexes to be ACTIVE again.
ACTIVE_WAIT_SECONDS = 600

Scope = Literal["consumer", "hub", "all"]


@dataclass
class TableReport:
    """What `tables_ensure` found or did for one table."""

    table: str
    action: Literal["created", "exists"]
    drift: list[str] = field(default_factory=list)


def models_for(scope: Scope) -> tuple[type[OuroborosModel], ...]:
    """The models a deployment side owns."""
    return {"consumer": CONSUMER_MODELS, "hub": HUB_MODELS, "all": ALL_MODELS}[scope]


def index_definition(index: Any) -> dict[str, Any]:
    """A model's GSI (an item of ``_get_schema()["global_secondary_indexes"]``) as UpdateTable
    and CreateTable take it."""
    return {
        "IndexName": index["index_name"],
        # HASH first, as DynamoDB requires (and describes it).
        "KeySchema": sorted(index["key_schema"], key=lambda k: k["KeyType"]),
        "Projection": index["projection"],
    }


def index_shape(gsi: dict[str, Any]) -> tuple[Any, ...]:
    """What of an index cannot change in place: its keys and projection (a described GSI or
    an `index_definition`)."""
    projection = gsi.get("Projection") or {}
    return (
        tuple(sorted((k["KeyType"], k["AttributeName"]) for k in gsi["KeySchema"])),
        projection.get("ProjectionType", "ALL"),
        tuple(sorted(projection.get("NonKeyAttributes") or ())),
    )


def indexes_changed(model: type[OuroborosModel], table: dict[str, Any]) -> list[str]:
    """The indexes of the described ``table`` whose keys or projection differ from ``model``'s."""
    live = {gsi["IndexName"]: index_shape(gsi) for gsi in table.get("GlobalSecondaryIndexes", [])}
    return [
        index["index_name"]
        for index in model._get_schema()["global_secondary_indexes"]
        if index["index_name"] in live
        and live[index["index_name"]] != index_shape(index_definition(index))
    ]


def attribute_definitions(model: type[OuroborosModel]) -> list[dict[str, Any]]:
    """The model's key attributes as CreateTable / UpdateTable take them."""
    return [dict(d) for d in model._get_schema()["attribute_definitions"]]


def _active_wait(ddb: Any, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + ACTIVE_WAIT_SECONDS
    while True:
        table: dict[str, Any] = ddb.describe_table(TableName=name)["Table"]
        statuses = [table["TableStatus"]] + [
            gsi.get("IndexStatus", "ACTIVE") for gsi in table.get("GlobalSecondaryIndexes", [])
        ]
        if all(status == "ACTIVE" for status in statuses):
            return table
        if time.monotonic() > deadline:
            raise OuroborosError(f"table {name} not ACTIVE after {ACTIVE_WAIT_SECONDS} s")
        time.sleep(0.2)


def indexes_rebuild(
    model: type[OuroborosModel],
    ddb: Any,
    name: str,
    changed: list[str],
    wait: Callable[[], dict[str, Any]],
) -> dict[str, Any] | None:
    """Rebuild the ``changed`` indexes of table ``name`` (module docstring) through the DynamoDB
    client ``ddb``; ``wait`` returns the table's description once it and its indexes are ACTIVE.
    Returns the last description (None when nothing changed)."""
    table = None
    upgrade = ITEM_UPGRADES.get(model)
    if changed and upgrade is not None:
        upgrade(ddb, name)
    wanted = {i["index_name"]: i for i in model._get_schema()["global_secondary_indexes"]}
    for index_name in changed:
        ddb.update_table(
            TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index_name}}]
        )
        wait()
        ddb.update_table(
            TableName=name,
            AttributeDefinitions=attribute_definitions(model),
            GlobalSecondaryIndexUpdates=[{"Create": index_definition(wanted[index_name])}],
        )
        table = wait()
    if changed and upgrade is not None:
        upgrade(ddb, name)  # what the previous version's code wrote while the indexes rebuilt
    return table


def _indexes_rebuild(model: type[OuroborosModel]) -> list[str]:
    """Rebuild the model's changed indexes in the local runtime; the names rebuilt."""
    ddb = model._get_connection().connection.client
    name = model.Meta.table_name
    changed = indexes_changed(model, ddb.describe_table(TableName=name)["Table"])
    indexes_rebuild(model, ddb, name, changed, lambda: _active_wait(ddb, name))
    return changed


def _drift(model: type[OuroborosModel]) -> list[str]:
    description: dict[str, Any] = model._get_connection().describe_table()
    present = {gsi["IndexName"] for gsi in description.get("GlobalSecondaryIndexes", [])}
    wanted = {index.Meta.index_name for index in model._indexes.values()}
    drift = [f"missing index {name}" for name in sorted(wanted - present)]
    stream = description.get("StreamSpecification", {})
    if model.stream_view and not stream.get("StreamEnabled"):
        drift.append("stream disabled")
    return drift


def _ttl_enable(model: type[OuroborosModel]) -> None:
    """Let DynamoDB delete the expired items of a model that names a TTL attribute (e.g. old
    notifications). DynamoDB Local keeps a table's TTL setting across a delete and re-create
    under the same name, so "already enabled" is success."""
    attribute = getattr(model, "ttl_attribute", None)
    if not attribute:
        return
    try:
        model._get_connection().connection.client.update_time_to_live(
            TableName=model.Meta.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
        )
    except ClientError as exc:
        if "already enabled" not in str(exc):
            raise


def tables_ensure(scope: Scope = "all", *, wait: bool = True) -> list[TableReport]:
    """Create the missing tables of ``scope``; report the state of every table."""
    bind_models()
    reports: list[TableReport] = []
    for model in models_for(scope):
        name = model.Meta.table_name
        if model.exists():
            rebuilt = [f"index {index} rebuilt" for index in _indexes_rebuild(model)]
            reports.append(TableReport(name, "exists", rebuilt + _drift(model)))
            continue
        model.create_table(wait=wait)
        _ttl_enable(model)
        reports.append(TableReport(name, "created"))
    return reports


def tables_delete(scope: Scope = "all") -> list[str]:
    """Delete the tables of ``scope`` that exist (tests and the local runtime's reset only)."""
    deleted = []
    for model in models_for(scope):
        if model.exists():
            model.delete_table()
            deleted.append(model.Meta.table_name)
    return deleted
