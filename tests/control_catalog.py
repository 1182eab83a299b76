"""The control catalog loaded for a test: `control_catalog_upsert` once per process, then a copy.

The upsert of the whole catalog (about 300 UpdateItem calls) costs about 2.5 CPU-seconds in moto
(each call goes through moto's update-expression validators) and about 2 in DynamoDB Local (the
client's and Java's), and many tests start with the same catalog on empty tables.
`catalog_loaded` makes the real call the first time a process loads a given catalog, keeps what
it left in the controls and aggregates tables (the only tables it writes) and, on later calls
with the same arguments on the same empty tables, writes that again and returns the same value:

- in moto's in-process backend, a copy of the two tables' items and stream records (a few
  milliseconds);
- in DynamoDB Local (or any endpoint moto does not intercept), the items read back with Scan,
  written with BatchWriteItem (24 calls instead of about 300). The stream gets the same INSERT
  records as the real call's (every item is written once), in another order.

It makes the real call whenever the result might differ from the real call's: when either table
holds an item (or, in moto, a stream record or a stream consumer), when a model is bound to
another session, or against AWS itself. The upsert writes nothing else (no S3, no audit entry,
no in-process cache).

What it writes carries the first call's timestamps (``collected_at``, the aggregate's
``updated_at``): a test that asserts them calls `control_catalog_upsert` itself, as the upsert's
own tests do.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ouroboros.aws import client as aws_client
from ouroboros.aws.dynamodb_batch import batch_write
from ouroboros.controls.services import control_catalog_upsert
from ouroboros.models import AggregateModel, ControlModel
from ouroboros.models.binding import binding_current
from ouroboros.securityhub.catalog import CatalogControl

#: The tables the upsert reads and writes (controls) or writes (aggregates), in this order.
_MODELS = (ControlModel, AggregateModel)


@dataclass(frozen=True)
class _Loaded:
    """What one upsert left: per table (as `_MODELS`), its items and (moto) stream records."""

    created: int
    tables: tuple[tuple[Any, list[Any] | None], ...]


#: By the upsert's arguments and, in moto, the tables (account, region, name, stream view); the
#: items written through the API do not depend on the tables' names.
_loaded: dict[tuple[Any, ...], _Loaded] = {}


def catalog_loaded(
    *,
    controls: Iterable[CatalogControl],
    standard_id: str | None = None,
    standard_arn: str | None = None,
    standard_name: str | None = None,
    status: str = "ENABLED",
) -> int:
    """`control_catalog_upsert` with these arguments (the one-standard form); its return value.

    Leaves the items the real call leaves; see the module docstring for when it is a copy.
    """
    wanted = tuple(controls)
    arguments: dict[str, Any] = {
        "controls": wanted,
        "standard_id": standard_id,
        "standard_arn": standard_arn,
        "standard_name": standard_name,
        "status": status,
    }
    if not _models_unbound():
        return control_catalog_upsert(**arguments)
    if _moto_in_process():
        return _moto_loaded(arguments)
    return _api_loaded(arguments)


def _models_unbound() -> bool:
    """The models use the default credentials and the client's region (what the copy assumes)."""
    region = aws_client("dynamodb").meta.region_name
    return all(
        binding_current(model.side) is None and getattr(model.Meta, "region", region) == region
        for model in _MODELS
    )


def _moto_in_process() -> bool:
    """moto's in-process backend answers the calls (it does not intercept other endpoints)."""
    from moto.core.models import MockAWS

    host = urlsplit(aws_client("dynamodb").meta.endpoint_url).hostname or ""
    return MockAWS._mocks_active and host.endswith(".amazonaws.com")


def _moto_loaded(arguments: dict[str, Any]) -> int:
    tables = _empty_moto_tables()
    if tables is None:
        return control_catalog_upsert(**arguments)
    key = (
        tuple((t.account_id, t.region_name, t.name, _stream_view(t)) for t in tables),
        *arguments.values(),
    )
    loaded = _loaded.get(key)
    if loaded is None:
        created = control_catalog_upsert(**arguments)
        _loaded[key] = _Loaded(
            created,
            tuple(
                (
                    copy.deepcopy(t.items),
                    None if t.stream_shard is None else copy.deepcopy(t.stream_shard.items),
                )
                for t in tables
            ),
        )
        return created
    for table, (items, records) in zip(tables, loaded.tables, strict=True):
        table.items = copy.deepcopy(items)
        if table.stream_shard is not None:
            table.stream_shard.items = copy.deepcopy(records)
    return loaded.created


def _api_loaded(arguments: dict[str, Any]) -> int:
    ddb = aws_client("dynamodb")
    host = urlsplit(ddb.meta.endpoint_url).hostname or ""
    names = [model.Meta.table_name for model in _MODELS]
    if host.endswith(".amazonaws.com") or any(_holds_items(ddb, name) for name in names):
        return control_catalog_upsert(**arguments)
    key = ("api", *arguments.values())
    loaded = _loaded.get(key)
    if loaded is None:
        created = control_catalog_upsert(**arguments)
        _loaded[key] = _Loaded(created, tuple((_scanned(ddb, name), None) for name in names))
        return created
    for name, (items, _) in zip(names, loaded.tables, strict=True):
        batch_write(ddb, name, items)
    return loaded.created


def _holds_items(ddb: Any, table_name: str) -> bool:
    page = ddb.scan(TableName=table_name, Limit=1, ConsistentRead=True)
    return bool(page["Items"] or page.get("LastEvaluatedKey"))


def _scanned(ddb: Any, table_name: str) -> list[dict[str, Any]]:
    pages = ddb.get_paginator("scan").paginate(TableName=table_name, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]


def _empty_moto_tables() -> list[Any] | None:
    """moto's controls and aggregates tables when both are empty (no item, no stream record, no
    stream consumer); else None."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][aws_client("dynamodb").meta.region_name]
    tables = [backend.tables.get(model.Meta.table_name) for model in _MODELS]
    for table in tables:
        if table is None or len(table) or table.lambda_event_source_mappings:
            return None
        if table.stream_shard is not None and table.stream_shard.items:
            return None
    return tables


def _stream_view(table: Any) -> str | None:
    spec = table.stream_specification or {}
    return spec.get("StreamViewType") if spec.get("StreamEnabled") else None
