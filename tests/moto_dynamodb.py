"""Costs of moto's in-process DynamoDB that are moto's, not DynamoDB's, removed for the tests.

- ``TransactWriteItems`` backs up a table before applying, to roll back a cancelled transaction:
  moto deep-copies the table once per *action* (100 actions on the aggregates table: 100 copies
  of the whole table, all taken before anything is applied, so all equal). Here each table is
  copied once per transaction; the rollback restores the same state.
- Every node of an update expression's tree asks each validator which node types it handles,
  and each validator builds that map again for every question. Here a validator builds it once
  (the map is the same for the life of the validator: node classes to its bound methods).
- Each ``UpdateItem`` parses its update expression three times (the same string); every use of
  the tree reads it or deep-copies it first, so one parse per distinct string serves them all.
- Each ``UpdateItem`` deep-copies its expression's tree before validating it (the validators
  change the tree they walk). ``copy.deepcopy``'s generic path (``__reduce_ex__``, then a deep
  copy of each node's ``__dict__``) is replaced for the tree's nodes by one that copies the same
  objects the same way (the memo kept, so shared and parent links come out as deepcopy's):
  about half the time.
- Each ``UpdateItem`` validates its expression twice with twelve tree walks each. The first three
  validators (clause counts, overlapping paths, key attributes) read only the tree's shape, the
  attribute names and the table's key: their verdict is the same for the same parsed expression,
  names and key. Here, once an expression has passed them with given names and key, they are
  not run again for it (anything that failed is checked again, and fails the same way); their
  clause count walks every sub-tree of every clause (most of an update's validation).
- moto's response serializer asks six alias providers, for every attribute of every item it
  returns, which names the attribute might have in the result object. For a ``dict`` (what
  DynamoDB's results are) the answer depends only on the attribute's name and shape, so it is
  remembered per (providers, name, shape, parent shape).

Behaviour is unchanged (same items, same errors, same rollback); only the CPU goes. Installed by
``tests/conftest.py`` for every test process.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.core.serialize import AttributePickerContext, XFormedAttributePicker
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.dynamodb.parsing.validators import (
    ActionCountValidator,
    OverlappingPathsValidator,
    UpdateExpressionValidator,
    UpdateHashRangeKeyValidator,
)

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


_parse_update_expression = UpdateExpressionParser.make.__func__  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=4096)
def _update_expression(cls: type, expression: str) -> Any:
    return _parse_update_expression(cls, expression)


#: Values a deep copy returns as they are (`copy.deepcopy` does the same for these types).
_ATOMIC = frozenset({str, int, float, bool, type(None)})
_MISSING = object()


def _tree_copied(value: Any, memo: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _ATOMIC:
        return value
    found = memo.get(id(value), _MISSING)
    if found is not _MISSING:
        return found
    if kind is list:
        copied: list[Any] = []
        memo[id(value)] = copied
        copied.extend(_tree_copied(item, memo) for item in value)
        return copied
    if isinstance(value, Node):
        return _node_deepcopy(value, memo)
    return copy.deepcopy(value, memo)


def _node_deepcopy(self: Node, memo: dict[int, Any]) -> Node:
    """``Node.__deepcopy__``: a new node of the same class, each attribute deep-copied."""
    node_class = type(self)
    copied = node_class.__new__(node_class)
    memo[id(self)] = copied
    copied.__dict__ = {name: _tree_copied(v, memo) for name, v in self.__dict__.items()}
    return copied


#: The validators whose verdict depends on nothing but the tree, the names and the table's key.
_SHAPE_VALIDATORS = (ActionCountValidator, OverlappingPathsValidator, UpdateHashRangeKeyValidator)
_SHAPES_PASSED_MAX = 20_000
# (id of the parsed tree, names, table key) -> the tree (kept: its id cannot be reused meanwhile).
_shapes_passed: dict[tuple[int, frozenset[tuple[str, str]], tuple[str, ...]], Any] = {}
_validator_init = UpdateExpressionValidator.__init__
_validator_validate = UpdateExpressionValidator.validate


def _shape_key(
    validator: Any, expression: Any
) -> tuple[int, frozenset[tuple[str, str]], tuple[str, ...]]:
    names = frozenset((validator.expression_attribute_names or {}).items())
    return (id(expression), names, tuple(validator.table.table_key_attrs))


def _validator_init_remembering(self: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
    _validator_init(self, expression, *args, **kwargs)
    self._shape = (_shape_key(self, expression), expression)
    found = _shapes_passed.get(self._shape[0])
    if found is expression:  # this very tree passed them with these names and key
        self.processors = [p for p in self.processors if not isinstance(p, _SHAPE_VALIDATORS)]


def _validate_remembering(self: Any) -> Any:
    validated = _validator_validate(self)
    key, expression = self._shape
    if len(_shapes_passed) >= _SHAPES_PASSED_MAX:
        _shapes_passed.clear()
    _shapes_passed[key] = expression
    return validated


_POSSIBLE_KEYS_MAX = 20_000
# (picker class, id of providers, name, id of shape, id of parent) ->
# (providers, shape, parent, keys): the objects are kept so that their ids cannot be reused
# while the entry lives.
_possible_keys: dict[tuple[type, int, str, int, int], tuple[Any, Any, Any, tuple[str, ...]]] = {}


def _possible_keys_remembered(
    original: Callable[[Any, AttributePickerContext], Iterator[str]],
) -> Callable[[Any, AttributePickerContext], Iterator[str]]:
    """``original`` (a picker's ``get_possible_keys``), remembered for ``dict`` objects."""

    @functools.wraps(original)
    def get_possible_keys(self: Any, context: AttributePickerContext) -> Iterator[str]:
        if type(context.obj) is not dict:
            return original(self, context)
        shape = context.shape
        parent = getattr(shape, "parent", None)
        providers = self.alias_providers
        key = (type(self), id(providers), context.key, id(shape), id(parent))
        found = _possible_keys.get(key)
        if (
            found is None
            or found[0] is not providers
            or found[1] is not shape
            or found[2] is not parent
        ):
            if len(_possible_keys) >= _POSSIBLE_KEYS_MAX:
                _possible_keys.clear()
            found = (providers, shape, parent, tuple(original(self, context)))
            _possible_keys[key] = found
        return iter(found[3])

    return get_possible_keys


def moto_dynamodb_lightened() -> None:
    """Install them all (idempotent)."""
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
    Node.__deepcopy__ = _node_deepcopy  # type: ignore[attr-defined]
    UpdateExpressionValidator.__init__ = _validator_init_remembering  # type: ignore[method-assign]
    UpdateExpressionValidator.validate = _validate_remembering  # type: ignore[method-assign]
    UpdateExpressionParser.make = classmethod(_update_expression)  # type: ignore[method-assign,assignment]
    # The picker every moto response uses (`moto.core.responses.ActionResult`).
    XFormedAttributePicker.get_possible_keys = _possible_keys_remembered(  # type: ignore[method-assign]
        XFormedAttributePicker.get_possible_keys
    )
