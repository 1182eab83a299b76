"""The control catalog loaded for a test: `control_catalog_upsert` once per process, then a copy.

In moto the upsert costs seconds (about 300 UpdateItem calls on the whole catalog, each through
moto's update-expression validators), and many tests start with the same catalog on empty
tables. `catalog_loaded` makes the real call the first time a process loads a given catalog and
keeps a copy of what it left in moto's DynamoDB backend (the items and stream records of the
controls and aggregates tables, the only tables it writes); later calls with the same arguments
on the same empty tables get a copy of that (a few milliseconds) and the same return value.

It makes the real call whenever a copy might differ from what the call would leave: outside
moto's in-process backend (DynamoDB Local, a moto server), when either table holds an item or a
stream record, when a Lambda consumes either table's stream, or when a model is bound to
another session. The upsert writes nothing else (no S3, no audit entry, no in-process cache).

A copy carries the first call's timestamps (``collected_at``, the aggregate's ``updated_at``)
and stream record ids: a test that asserts them calls `control_catalog_upsert` itself, as the
upsert's own tests do.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ouroboros.aws import client as aws_client
from ouroboros.controls.services import control_catalog_upsert
from ouroboros.models import AggregateModel, ControlModel
from ouroboros.models.binding import binding_current
from ouroboros.securityhub.catalog import CatalogControl

#: The tables the upsert reads and writes (controls) or writes (aggregates), in this order.
_MODELS = (ControlModel, AggregateModel)


@dataclass(frozen=True)
class _Loaded:
    """What one upsert left in moto: per table (as `_MODELS`), its items and stream records."""

    created: int
    tables: tuple[tuple[Any, list[Any] | None], ...]


#: By the tables (account, region, name, stream view) and the upsert's arguments.
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


def _empty_moto_tables() -> list[Any] | None:
    """moto's controls and aggregates tables, when the upsert's calls go to them and both are
    empty (no item, no stream record, no stream consumer); else None."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.models import MockAWS
    from moto.dynamodb.models import dynamodb_backends

    if not MockAWS._mocks_active:
        return None
    ddb = aws_client("dynamodb")
    host = urlsplit(ddb.meta.endpoint_url).hostname or ""
    region = ddb.meta.region_name
    if not host.endswith(".amazonaws.com"):  # an endpoint moto does not intercept
        return None
    if any(
        binding_current(model.side) is not None or getattr(model.Meta, "region", region) != region
        for model in _MODELS
    ):
        return None
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
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
