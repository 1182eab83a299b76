"""Costs of moto's core (every service) that are moto's own, removed for the tests.

- Every ``mock_aws()`` start builds a ``responses`` callback for each HTTP method and each of the
  ~200 URL patterns of moto's services (well over a thousand objects, about 4 ms) although the
  patterns and the callback never change. Here a callback object is built once per (method,
  pattern, callback) and reused by the next starts, its record of calls emptied first (what a new
  one would hold). The functional tier starts moto for almost every test.
- Every request to an in-process moto service lists the public functions of its response class
  with ``inspect.getmembers`` (all of them, inherited included) to see whether the action is one.
  Here the list is remembered per class. A class that gains or loses a function later (no test
  does that) is listed again: the cache is keyed by the class and its ``__dict__``'s keys.

Behaviour is unchanged (the same callbacks in the same order, the same actions answered); only
the CPU goes. Installed by ``tests/conftest.py`` for every test process.
"""

from __future__ import annotations

import threading
from typing import Any

import moto.core.models as moto_models
import moto.core.responses as moto_responses
from moto.core import utils as moto_utils

_lock = threading.Lock()
_callbacks: dict[tuple[Any, ...], tuple[Any, tuple[Any, Any], Any]] = {}
_method_names: dict[type, tuple[tuple[str, ...], list[str]]] = {}
_build_callback = moto_models.CallbackResponse
_list_method_names = moto_utils.method_names_from_class


def _callback_reused(*, method: str, url: Any, callback: Any, **options: Any) -> Any:
    """moto's ``CallbackResponse(...)``: the one built before for the same arguments, reset.

    The same arguments: the same method, the very same URL pattern object and callback (moto
    passes the same pattern objects and the same bound method's function and object at every
    start), and equal options. The entry keeps them, so their ids are not reused meanwhile."""
    target = getattr(callback, "__func__", callback), getattr(callback, "__self__", None)
    key = (method, id(url), id(target[0]), id(target[1]), *options.items())
    with _lock:
        found = _callbacks.get(key)
        if found is None or found[0] is not url or found[1] != target:
            built = _build_callback(method=method, url=url, callback=callback, **options)
            found = _callbacks[key] = (url, target, built)
        else:
            found[2].calls.reset()
    return found[2]


def _class_keys(clazz: type) -> tuple[str, ...]:
    return tuple(key for klass in clazz.__mro__ for key in vars(klass))


def _method_names_remembered(clazz: Any) -> list[str]:
    """moto's ``method_names_from_class``, listed once per class (and its attribute names)."""
    if not isinstance(clazz, type):
        return _list_method_names(clazz)
    keys = _class_keys(clazz)
    found = _method_names.get(clazz)
    if found is None or found[0] != keys:
        found = (keys, _list_method_names(clazz))
        _method_names[clazz] = found
    return found[1]


def moto_core_lightened() -> None:
    """Install both (idempotent)."""
    moto_models.CallbackResponse = _callback_reused  # type: ignore[assignment,misc]
    moto_responses.method_names_from_class = _method_names_remembered
