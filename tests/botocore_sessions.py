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
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import botocore.session
from botocore import handlers
from botocore.hooks import HierarchicalEmitter

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
