"""Two costs of moto's in-process DynamoDB that are moto's, not DynamoDB's, removed for the tests.

- ``TransactWriteItems`` backs up a table before applying, to roll back a cancelled transaction:
  moto deep-copies the table once per *action* (100 actions on the aggregates table: 100 copies
  of the whole table, all taken before anything is applied, so all equal). Here each table is
  copied once per transaction; the rollback restores the same state.
- Every node of an update expression's tree asks each validator which node types it handles,
  and each validator builds that map again for every question. Here a validator builds it once
  (the map is the same for the life of the validator: node classes to its bound methods).

Behaviour is unchanged (same items, same errors, same rollback); only the CPU goes. Installed by
``tests/conftest.py`` for every test process.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser

_transaction = threading.local()


class _OneCopyPerTable:
    """``copy`` for moto's DynamoDB backend: inside a transaction, one deep copy per table."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        copies: dict[int, Any] | None = getattr(_transaction, "copies", None)
        if copies is None or not isinstance(value, dynamodb_models.Table):
            return copy.deepcopy(value, memo)
        if id(value) not in copies:
            copies[id(value)] = copy.deepcopy(value)
        return copies[id(value)]


def _nodes_to_be_processed(self: DepthFirstTraverser) -> tuple[type, ...]:
    cached: tuple[type, ...] | None = self.__dict__.get("_node_types")
    if cached is None:
        cached = self.__dict__["_node_types"] = tuple(self._processing_map())  # type: ignore[no-untyped-call]
    return cached


def moto_dynamodb_lightened() -> None:
    """Install both (idempotent)."""
    backend = dynamodb_models.DynamoDBBackend
    if getattr(backend.transact_write_items, "_one_copy_per_table", False):
        return
    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _transaction.copies = {}
        try:
            original(self, transact_items)
        finally:
            _transaction.copies = None

    transact_write_items._one_copy_per_table = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    dynamodb_models.copy = _OneCopyPerTable()  # type: ignore[assignment]
    DepthFirstTraverser.nodes_to_be_processed = _nodes_to_be_processed  # type: ignore[method-assign]
