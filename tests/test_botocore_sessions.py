"""What `tests.botocore_sessions` shares between clients answers as botocore's own objects do."""

from __future__ import annotations

import copy
import itertools
import random

import boto3
import pytest
from botocore.hooks import _FIRST, _LAST, _MIDDLE, EventAliaser, _PrefixTrie
from botocore.model import ServiceModel

from tests.botocore_sessions import TRIE_METHODS, emitters_shared, models_shared

PARTS = ["before-call", "s3", "*", "PutObject"]
KEYS = [".".join(p) for n in (1, 2, 3) for p in itertools.product(PARTS, repeat=n)]
QUERIES = [".".join(p) for n in (1, 2, 3) for p in itertools.product([*PARTS[:2], "x"], repeat=n)]


class ReferenceTrie(_PrefixTrie):
    """botocore's trie, with the methods it had before the tests changed them."""


for _name, _method in TRIE_METHODS.items():
    setattr(ReferenceTrie, _name, _method)


def _removal(trie: _PrefixTrie, key: str, value: int) -> str:
    """What removing gives: "ok", or the name of the error (the same on both sides)."""
    try:
        trie.remove_item(key, value)
    except Exception as exc:
        return type(exc).__name__
    return "ok"


@pytest.mark.parametrize("seed", range(12))
def test_copies_changed_in_any_order_answer_as_botocore_does(seed: int) -> None:
    emitters_shared()  # as the conftest (idempotent)
    draw = random.Random(seed)
    reference: list[_PrefixTrie] = [ReferenceTrie()]
    shared: list[_PrefixTrie] = [_PrefixTrie()]
    handlers = list(range(6))
    for _ in range(120):
        i = draw.randrange(len(reference))
        action = draw.random()
        if action < 0.15:
            reference.append(copy.copy(reference[i]))
            shared.append(copy.copy(shared[i]))
        elif action < 0.7:
            key, value = draw.choice(KEYS), draw.choice(handlers)
            section = draw.choice([_FIRST, _MIDDLE, _LAST])
            reference[i].append_item(key, value, section=section)
            shared[i].append_item(key, value, section=section)
        else:
            key, value = draw.choice(KEYS), draw.choice(handlers)
            expected = _removal(reference[i], key, value)
            assert _removal(shared[i], key, value) == expected, key
        # Every trie, not only the one changed: a change must reach no other copy.
        for ref, ours in zip(reference, shared, strict=True):
            for query in QUERIES:
                assert list(ours.prefix_search(query)) == list(ref.prefix_search(query)), query


def test_a_copy_changes_nothing_of_its_original_and_the_reverse() -> None:
    emitters_shared()
    original = _PrefixTrie()
    original.append_item("before-call.s3", "a")
    copied = copy.copy(original)
    copied.remove_item("before-call.s3", "a")
    copied.append_item("before-call.s3", "b")
    original.append_item("before-call", "c")
    assert list(original.prefix_search("before-call.s3")) == ["a", "c"]
    assert list(copied.prefix_search("before-call.s3")) == ["b"]


def test_clients_and_their_session_keep_their_own_handlers() -> None:
    emitters_shared()
    session = boto3.Session(region_name="us-east-1")
    first, second = session.client("s3"), session.client("s3")
    calls: list[str] = []
    event = "probe-event.s3.ListBuckets"  # no handler of botocore's listens for it
    first.meta.events.register(event, lambda **_: calls.append("first"))
    session.events.register(event, lambda **_: calls.append("session"))
    second.meta.events.emit(event)
    assert calls == []  # registered after the second client was made, on other emitters
    first.meta.events.emit(event)
    session.client("s3").meta.events.emit(event)  # a third client copies the session's now
    assert calls == ["first", "session"]


def test_copied_aliasers_share_the_names_they_resolved() -> None:
    emitters_shared()
    aliaser = EventAliaser(copy.copy(boto3.Session()._session.get_component("event_emitter")))
    assert aliaser._alias_event_name("before-call.apigateway") == "before-call.api-gateway"
    copied = copy.copy(aliaser)
    assert copied._alias_name_cache is aliaser._alias_name_cache
    assert copied._alias_event_name("before-call.apigateway") == "before-call.api-gateway"


def test_sessions_aliasers_share_the_default_names() -> None:
    emitters_shared()
    one, other = boto3.Session()._session, boto3.Session()._session
    assert one._events._alias_name_cache is other._events._alias_name_cache
    assert one._events._alias_event_name("before-call.apigateway") == "before-call.api-gateway"
    custom = EventAliaser(one._events._emitter, {"x": "y"})
    assert custom._alias_name_cache is not one._events._alias_name_cache


def test_clients_share_models_and_rule_sets_and_still_resolve_their_own_endpoints() -> None:
    models_shared()
    first = boto3.Session(region_name="us-east-1").client("s3")
    second = boto3.Session(region_name="eu-west-1").client("s3")
    sqs = boto3.Session(region_name="us-east-1").client("sqs")
    assert first.meta.service_model is second.meta.service_model
    providers = [c._ruleset_resolver._provider for c in (first, second)]
    assert providers[0] is providers[1]
    assert first.meta.endpoint_url == "https://s3.amazonaws.com"
    assert second.meta.endpoint_url == "https://s3.eu-west-1.amazonaws.com"
    assert sqs.meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"
    assert sqs._ruleset_resolver._provider is not providers[0]
    # The model answers as a model made for this client alone would.
    alone = ServiceModel(first.meta.service_model._service_description, service_name="s3")
    for name in ("PutObject", "GetBucketPolicy"):
        shared, own = first.meta.service_model.operation_model(name), alone.operation_model(name)
        assert shared.input_shape.members.keys() == own.input_shape.members.keys()
