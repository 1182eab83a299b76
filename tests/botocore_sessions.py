"""New botocore sessions for the test process without registering botocore's handlers again.

Every ``botocore.session.Session()`` registers botocore's ~250 built-in event handlers one by one
(about 9 ms of CPU, most of it aliasing event names). The tests make a fresh session for almost
every test (`reset_sessions`, each PynamoDB model's connection, ``boto3.Session()`` in fixtures):
well over a thousand per worker. `sessions_prototyped` makes ``get_session`` copy an emitter that
already holds those handlers (what botocore itself does for each client it creates: under a
millisecond). The handlers, their order and everything else of the session are the same; the
prototype is rebuilt when ``BUILTIN_HANDLERS`` changes (moto adds its stubber there on import).

Each such session also reads service models through the process's one data loader, as the
project's own sessions do (`reactor_sdk.session.botocore_session`): a plain ``boto3.Session()``
in a fixture otherwise parses each service's model files again (EC2's: tens of milliseconds).

`client_classes_shared`: botocore builds each client's class anew (one method per operation of
the service, then the ``creating-client-class`` handlers), about 5 ms per client; the tests create
thousands (every reactor invocation makes its own). A class is reused when the service model is
the very same (the shared loader's) and the same handlers listen for its creation; anything
else builds a new one, as botocore does.

`emitters_shared`: every client copies its session's emitter, and every copy copied the whole
handler trie (some 300 nodes: about a quarter of a millisecond, the largest single cost of a
client) and started with an empty cache of aliased event names. A copied trie now shares its nodes
and copies only the path it changes (nodes are never changed in place once shared), and copies of
an aliaser share the cache of names, which depends on nothing but the aliases they also share.
What each emitter calls, and in which order, is unchanged (``tests/test_botocore_sessions.py``
compares them with botocore's own trie). Every aliaser made with botocore's default aliases
(one per session) shares one cache of names too.

`models_shared`: each client made its own ``ServiceModel`` from the loader's description (and so
resolved again every shape it serializes or parses: its caches are per model object) and its own
endpoint rule set from the loader's rules (a tree of a few hundred rule objects). A client now
gets the model and the rule set made for the same description and rules (the very objects the one
loader returns), as botocore itself does for the descriptions.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import botocore.regions
import botocore.session
from botocore import handlers
from botocore.client import ClientCreator
from botocore.endpoint_provider import EndpointProvider
from botocore.hooks import (
    _MIDDLE,
    EVENT_ALIASES,
    BaseEventHooks,
    EventAliaser,
    HierarchicalEmitter,
    NodeList,
    _PrefixTrie,
)
from botocore.model import ServiceModel

from reactor_sdk.session import botocore_session

_lock = threading.Lock()
_prototype: tuple[tuple[int, ...], HierarchicalEmitter] | None = None


def _builtin_hooks() -> HierarchicalEmitter:
    """A copy of an emitter holding exactly botocore's built-in handlers (as registered now)."""
    global _prototype
    key = tuple(id(spec) for spec in handlers.BUILTIN_HANDLERS)
    with _lock:
        if _prototype is None or _prototype[0] != key:
            hooks = HierarchicalEmitter()
            botocore.session.Session(event_hooks=hooks, include_builtin_handlers=True)
            _prototype = (key, hooks)
        hooks = copy.copy(_prototype[1])
    hooks._lookup_cache = {}  # the copy shares the dict otherwise
    return hooks


def sessions_prototyped() -> None:
    """Make ``botocore.session.get_session`` (boto3's and the project's way in) copy the
    prototype's handlers instead of registering them, and share the one loader (this process)."""
    loader = botocore_session().get_component("data_loader")

    def get_session(env_vars: Any = None) -> botocore.session.Session:
        session = botocore.session.Session(
            env_vars, event_hooks=_builtin_hooks(), include_builtin_handlers=False
        )
        session.register_component("data_loader", loader)
        return session

    botocore.session.get_session = get_session


# (service name, API version) -> (service description, creation handlers, class).
_client_classes: dict[tuple[str, str], tuple[Any, tuple[Any, ...], type]] = {}


def _creation_handlers(emitter: BaseEventHooks, event_name: str) -> tuple[Any, ...]:
    """The handlers ``emitter`` would call for ``event_name``, in order."""
    if isinstance(emitter, EventAliaser):
        event_name = emitter._alias_event_name(event_name)
        emitter = emitter._emitter
    if not isinstance(emitter, HierarchicalEmitter):
        return (object(),)  # unknown emitter: a key that never matches
    return tuple(emitter._handlers.prefix_search(event_name))


def _same_handler(one: Any, other: Any) -> bool:
    """The same handler, or the same function made again with equal captured values (boto3
    registers ``lazy_call(name)`` closures anew in every ``boto3.Session``)."""
    if one == other:
        return True
    code, other_code = getattr(one, "__code__", None), getattr(other, "__code__", None)
    if code is None or code is not other_code:
        return False
    cells = [c.cell_contents for c in one.__closure__ or ()]
    return cells == [c.cell_contents for c in other.__closure__ or ()]


def _same_handlers(one: tuple[Any, ...], other: tuple[Any, ...]) -> bool:
    return len(one) == len(other) and all(map(_same_handler, one, other))


def client_classes_shared() -> None:
    """Make botocore reuse a client class built for the same service model and handlers."""
    original = ClientCreator._create_client_class
    if getattr(original, "_shared", False):
        return

    def create_client_class(self: ClientCreator, service_name: str, service_model: Any) -> type:
        description = service_model._service_description
        event = f"creating-client-class.{service_model.service_id.hyphenize()}"
        handlers = _creation_handlers(self._event_emitter, event)
        key = (service_name, service_model.api_version)
        with _lock:
            cached = _client_classes.get(key)
        if cached is not None and cached[0] is description and _same_handlers(cached[1], handlers):
            return cached[2]
        cls: type = original(self, service_name, service_model)
        with _lock:
            _client_classes[key] = (description, handlers, cls)
        return cls

    create_client_class._shared = True  # type: ignore[attr-defined]
    ClientCreator._create_client_class = create_client_class  # type: ignore[method-assign]


Node = dict[str, Any]

#: botocore's own trie methods (the reference of ``tests/test_botocore_sessions.py``).
TRIE_METHODS = {
    name: getattr(_PrefixTrie, name) for name in ("append_item", "remove_item", "__copy__")
}


def _node_copy(node: Node) -> Node:
    """A node of the trie's path being changed: its own ``children`` dict, the same values."""
    return {"chunk": node["chunk"], "values": node["values"], "children": dict(node["children"])}


def _path_copied(trie: _PrefixTrie, key: str) -> list[Node]:
    """Copies of the nodes from the root along ``key``, linked (ValueError if a part is missing)."""
    path = [_node_copy(trie._root)]
    for part in key.split("."):
        child = path[-1]["children"].get(part)
        if child is None:
            raise ValueError(f"key is not in trie: {key}")
        path[-1]["children"][part] = child = _node_copy(child)
        path.append(child)
    return path


def _append_item(self: _PrefixTrie, key: str, value: Any, section: int = _MIDDLE) -> None:
    root = current = _node_copy(self._root)
    for part in key.split("."):
        child = current["children"].get(part)
        child = {"chunk": part, "values": None, "children": {}} if child is None else child
        current["children"][part] = current = _node_copy(child)
    values = current["values"]
    current["values"] = NodeList([], [], []) if values is None else copy.copy(values)
    current["values"][section].append(value)
    self._root = root


def _remove_item(self: _PrefixTrie, key: str, value: Any) -> None:
    path = _path_copied(self, key)
    node_list = path[-1]["values"]
    for section, handlers_of_section in enumerate(
        (node_list.first, node_list.middle, node_list.last)
    ):
        if value in handlers_of_section:
            path[-1]["values"] = node_list = copy.copy(node_list)
            node_list[section].remove(value)
            break
    # As botocore: a node left with no children and no value list is unlinked, bottom up.
    parts = key.split(".")
    for depth in range(len(parts), 0, -1):
        node = path[depth]
        if not node["children"] and not node["values"]:
            del path[depth - 1]["children"][parts[depth - 1]]
    self._root = path[0]


def _trie_copy(self: _PrefixTrie) -> _PrefixTrie:
    shared = _PrefixTrie.__new__(_PrefixTrie)
    shared.__dict__ = dict(self.__dict__)
    return shared


_aliaser_copy = EventAliaser.__copy__
_aliaser_init = EventAliaser.__init__
#: The names aliased by aliasers with botocore's default aliases (every session's).
_default_alias_names: dict[str, str] = {}


def _aliaser_init_sharing_names(
    self: EventAliaser, event_emitter: Any, event_aliases: Any = None
) -> None:
    _aliaser_init(self, event_emitter, event_aliases)
    if event_aliases is None or event_aliases is EVENT_ALIASES:
        self._alias_name_cache = _default_alias_names


def _aliaser_copy_sharing_names(self: EventAliaser) -> EventAliaser:
    copied: EventAliaser = _aliaser_copy(self)
    copied._alias_name_cache = self._alias_name_cache
    return copied


def emitters_shared() -> None:
    """Make copies of botocore's handler tries share their nodes (copying a path on change),
    and copies of an aliaser share its cache of aliased names."""
    _PrefixTrie.append_item = _append_item  # type: ignore[method-assign]
    _PrefixTrie.remove_item = _remove_item  # type: ignore[method-assign]
    _PrefixTrie.__copy__ = _trie_copy  # type: ignore[method-assign]
    EventAliaser.__copy__ = _aliaser_copy_sharing_names  # type: ignore[method-assign]
    EventAliaser.__init__ = _aliaser_init_sharing_names  # type: ignore[method-assign]


# (service name, id of the description) -> (description, model); (ids of the rules and the
# partitions, excluded parameters) -> (rules, partitions, provider). The data objects are kept
# so that their ids cannot be reused while the entry lives.
_service_models: dict[tuple[str, int], tuple[Any, ServiceModel]] = {}
_providers: dict[tuple[int, int, frozenset[str]], tuple[Any, Any, EndpointProvider]] = {}


def _service_model_shared(
    self: ClientCreator, service_name: str, api_version: str | None = None
) -> ServiceModel:
    description = self._loader.load_service_model(
        service_name, "service-2", api_version=api_version
    )
    key = (service_name, id(description))
    with _lock:
        found = _service_models.get(key)
        if found is None or found[0] is not description:
            found = (description, ServiceModel(description, service_name=service_name))
            _service_models[key] = found
    return found[1]


def _endpoint_provider_shared(
    ruleset_data: Any, partition_data: Any, excluded_params: Any = None
) -> EndpointProvider:
    key = (id(ruleset_data), id(partition_data), frozenset(excluded_params or ()))
    with _lock:
        found = _providers.get(key)
        if found is None or found[0] is not ruleset_data or found[1] is not partition_data:
            provider = EndpointProvider(
                ruleset_data=ruleset_data,
                partition_data=partition_data,
                excluded_params=excluded_params,
            )
            found = (ruleset_data, partition_data, provider)
            _providers[key] = found
    return found[2]


def models_shared() -> None:
    """Make clients share the service model and the endpoint rule set of the same data."""
    ClientCreator._load_service_model = _service_model_shared  # type: ignore[method-assign]
    botocore.regions.EndpointProvider = _endpoint_provider_shared  # type: ignore[misc,assignment]
