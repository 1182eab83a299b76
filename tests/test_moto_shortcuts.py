"""The test process's shortcuts in moto (`tests.moto_core`, `tests.moto_dynamodb`) give what
moto itself gives."""

from __future__ import annotations

import copy
import inspect
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import responses_mock
from moto.dynamodb.parsing.ast_nodes import Node
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.dynamodb.responses import DynamoHandler

from tests.moto_core import _list_method_names, _method_names_remembered

EXPRESSIONS = [
    "SET #a = :a",
    "SET #a = if_not_exists(#a, :zero) + :one, #b.c[2] = list_append(#b.c, :l) REMOVE #d, #e[1]",
    "ADD #n :one, #s :set DELETE #t :set SET #u = :u - :v REMOVE #w.x",
    "REMOVE #r[3], #r[1] SET #p = #q",
]


def _shape(root: Node) -> list[Any]:
    """The tree as plain data: each node's class, its values, and its parent named by its
    position in the walk (or by its class when it is outside the tree)."""
    order: list[Node] = []

    def walk(node: Node) -> None:
        order.append(node)
        for child in node.children or []:
            if isinstance(child, Node):
                walk(child)

    walk(root)
    position = {id(node): i for i, node in enumerate(order)}
    return [
        (
            type(node).__name__,
            sorted(node.__dict__),
            [c if not isinstance(c, Node) else position[id(c)] for c in node.children or []],
            position.get(id(node.parent), type(node.parent).__name__),
        )
        for node in order
    ]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_an_update_tree_is_copied_as_deepcopy_copies_it(
    expression: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = UpdateExpressionParser.make(expression)
    ours = copy.deepcopy(tree)
    monkeypatch.delattr(Node, "__deepcopy__")
    theirs = copy.deepcopy(tree)
    assert _shape(ours) == _shape(theirs) == _shape(tree)
    originals = {id(n) for n in _walk(tree)}
    assert not originals & {id(n) for n in _walk(ours)}  # every node is a new one


def _walk(node: Node) -> list[Node]:
    found = [node]
    for child in node.children or []:
        if isinstance(child, Node):
            found += _walk(child)
    return found


def _table_t() -> Any:
    """A client of the running moto's DynamoDB, with table ``t`` (hash key ``k``) created."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb


def test_updates_through_moto_apply_as_written() -> None:
    with mock_aws():
        ddb = _table_t()
        for _ in range(2):  # the second time from the remembered tree
            ddb.update_item(
                TableName="t",
                Key={"k": {"S": "1"}},
                UpdateExpression="SET #n = if_not_exists(#n, :zero) + :one, #l = "
                "list_append(if_not_exists(#l, :empty), :l) REMOVE #gone",
                ExpressionAttributeNames={"#n": "n", "#l": "l", "#gone": "gone"},
                ExpressionAttributeValues={
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    ":empty": {"L": []},
                    ":l": {"L": [{"S": "x"}]},
                },
            )
        item = ddb.get_item(TableName="t", Key={"k": {"S": "1"}})["Item"]
    assert item == {"k": {"S": "1"}, "n": {"N": "2"}, "l": {"L": [{"S": "x"}, {"S": "x"}]}}


def _registered() -> list[tuple[str, str]]:
    return [(r.method, str(getattr(r.url, "pattern", r.url))) for r in responses_mock.registered()]


def test_each_moto_start_registers_the_same_callbacks_with_no_calls() -> None:
    with mock_aws():
        first = _registered()
        callbacks = list(responses_mock.registered())
        callbacks[0].calls.add(None, None)  # a call recorded in this start
    with mock_aws():
        assert _registered() == first and len(first) > 1000
        assert all(len(r.calls) == 0 for r in responses_mock.registered())


def test_action_names_are_moto_s_and_follow_a_changed_class() -> None:
    assert _method_names_remembered(DynamoHandler) == _list_method_names(DynamoHandler)
    assert _list_method_names(DynamoHandler) == [
        name for name, _ in inspect.getmembers(DynamoHandler, inspect.isfunction)
    ]

    class Handler(DynamoHandler):
        pass

    before = _method_names_remembered(Handler)
    Handler.brand_new_action = lambda self: None  # type: ignore[attr-defined]
    after = _method_names_remembered(Handler)
    assert set(after) - set(before) == {"brand_new_action"}


def _update(ddb: Any, expression: str, names: dict[str, str]) -> str:
    """What moto answers: "ok" or the error's code and message."""
    values = {f":{n[1:]}": {"S": "v"} for n in names}
    try:
        ddb.update_item(
            TableName="t",
            Key={"k": {"S": "1"}},
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ddb.exceptions.ClientError as exc:
        return f"{exc.response['Error']['Code']}: {exc.response['Error']['Message']}"
    return "ok"


def test_shape_checks_are_skipped_only_for_what_passed_them() -> None:
    """Clause counts, overlapping paths and key attributes: the same verdicts, in the same order,
    whether or not the same expression passed them before with other names."""
    cases = [
        ("SET #a = :a, #b = :b", {"#a": "x", "#b": "y"}, "ok"),
        ("SET #a = :a, #b = :b", {"#a": "x", "#b": "x"}, "Two document paths overlap"),
        ("SET #a = :a, #b = :b", {"#a": "k", "#b": "y"}, "Cannot update attribute k"),
        ("SET #a = :a SET #b = :b", {"#a": "x", "#b": "y"}, 'The "SET" section'),
        ("SET #a = :a, #b = :b", {"#a": "x", "#b": "y"}, "ok"),
    ]
    with mock_aws():
        ddb = _table_t()
        for _ in range(2):  # the second round after each case has been seen once
            for expression, names, expected in cases:
                answer = _update(ddb, expression, names)
                assert expected in answer, (expression, names, answer)


def test_frozen_tables_copy_as_deepcopy_does(moto_aws: None) -> None:
    """`moto_aws` restores the empty tables from a pickle: the same tables as a deep copy."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from tests.conftest import _Frozen

    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables
    frozen = _Frozen(tables)
    assert frozen._data  # nothing in empty tables has a deep copy of its own
    copied, reference = frozen.copy(), copy.deepcopy(tables)
    assert copied.keys() == reference.keys() and len(copied) >= 10
    for name in reference:
        assert copied[name] is not tables[name]
        assert copied[name].describe() == reference[name].describe()


def test_a_value_with_its_own_deep_copy_is_deep_copied() -> None:
    from moto.core.constants import MISSING

    from tests.conftest import _Frozen

    frozen = _Frozen({"marker": MISSING, "list": [1, 2]})
    assert not frozen._data
    copied = frozen.copy()
    assert copied["marker"] is MISSING  # what deepcopy keeps, a pickle would not
    assert copied == {"marker": MISSING, "list": [1, 2]}
