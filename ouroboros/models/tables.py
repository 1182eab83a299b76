"""Creating the tables: idempotent, used by bootstrap, the local runtime and tests only.

`tables_ensure` creates what is missing (with streams and GSIs) and leaves existing tables and
their data alone; it reports, per table, ``created`` or ``exists`` and any index or stream the
existing table lacks (``drift``), so a second run is visibly a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError

from ouroboros.models import ALL_MODELS, CONSUMER_MODELS, HUB_MODELS, bind_models
from ouroboros.models.base import OuroborosModel

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
            reports.append(TableReport(name, "exists", _drift(model)))
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
