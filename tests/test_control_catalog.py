"""`tests.control_catalog.catalog_loaded` leaves what `control_catalog_upsert` leaves.

What it writes must be the real call's tables item for item (and in moto stream record for stream
record), and it must make the real call whenever the tables are not empty.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from ouroboros.aws import client as aws_client
from ouroboros.aws import reset_sessions
from ouroboros.config import get_config, reset_config
from ouroboros.models import AggregateModel, ControlModel, bind_models
from ouroboros.models.tables import tables_ensure
from ouroboros.securityhub.catalog import catalog_controls
from tests.control_catalog import catalog_loaded

pytestmark = pytest.mark.functional

#: A standard no other test loads, so the first call of each test is the real one.
_standards = (f"test-control-catalog-{n}" for n in itertools.count())


def moto_table(model: Any) -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables[model.Meta.table_name]


def tables_emptied() -> None:
    """Both tables as a fresh `moto_aws` has them: no items, no stream records."""
    for model in (ControlModel, AggregateModel):
        table = moto_table(model)
        table.items.clear()
        if table.stream_shard is not None:
            table.stream_shard.items = []


def items_scanned() -> list[Any]:
    """Every item of both tables, through the API."""
    ddb = aws_client("dynamodb")
    return [
        sorted(ddb.scan(TableName=model.Meta.table_name, ConsistentRead=True)["Items"], key=repr)
        for model in (ControlModel, AggregateModel)
    ]


def tables_state() -> list[Any]:
    """Every item of both tables (through the API) and their stream records."""
    state: list[Any] = []
    for model, items in zip((ControlModel, AggregateModel), items_scanned(), strict=True):
        state.append(items)
        shard = moto_table(model).stream_shard
        state.append(None if shard is None else [r.to_json() for r in shard.items])
    return state


def test_a_copy_is_exactly_what_the_real_call_left(moto_aws: None) -> None:
    arguments: dict[str, Any] = {
        "controls": catalog_controls()[:3],
        "standard_id": next(_standards),
        "standard_name": "A standard",
    }
    assert catalog_loaded(**arguments) == 3
    real = tables_state()
    assert len(real[0]) == 3 + 3 + 1 and real[2]  # controls, memberships, the standard; the count
    tables_emptied()
    assert tables_state() != real
    assert catalog_loaded(**arguments) == 3
    assert tables_state() == real


def test_tables_that_are_not_empty_get_the_real_call(moto_aws: None) -> None:
    arguments: dict[str, Any] = {
        "controls": catalog_controls()[:2],
        "standard_id": next(_standards),
    }
    assert catalog_loaded(**arguments) == 2
    real = tables_state()
    assert catalog_loaded(**arguments) == 0  # the real call: nothing new, nothing written
    assert tables_state() == real
    tables_emptied()
    first = arguments["controls"][0].control_id
    ControlModel(first, "CONTROL", failed_count=4).save()  # a finding came first (no title yet)
    assert catalog_loaded(**arguments) == 2
    stored = ControlModel.get(first, "CONTROL")
    assert (stored.failed_count, stored.title) == (4, arguments["controls"][0].title)


@pytest.mark.integration
def test_dynamodb_local_gets_the_items_the_real_call_wrote(
    ddb_tables: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    arguments: dict[str, Any] = {
        "controls": catalog_controls()[:2],
        "standard_id": next(_standards),
        "standard_arn": "arn:aws:securityhub:::standards/x",
    }
    assert catalog_loaded(**arguments) == 2
    real = items_scanned()
    assert len(real[0]) == 2 + 2 + 1 and real[1]
    monkeypatch.setenv("OUROBOROS_STAGE", f"{get_config().stage}x")  # new, empty tables
    reset_config()
    reset_sessions()
    bind_models()
    tables_ensure("all")
    assert items_scanned() == [[], []]
    assert catalog_loaded(**arguments) == 2
    assert items_scanned() == real
    assert catalog_loaded(**arguments) == 0  # not empty: the real call, nothing new
    assert items_scanned() == real
