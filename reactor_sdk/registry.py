"""A small string-keyed registry, and the registry of reactors with its decorator.

``@reactor`` on a `Reactor` subclass checks the class is complete (see
`Reactor.definition_problems`) and files it under its ``id``. Packaging, the Hub's verification
and the meta-tests walk `REACTORS`.

The same reactor can be imported twice in one process: once from its source tree
(``lambdas.reactors.s3_public_read.reactor``) and once from an installed artifact (the local
runtime runs installed code in-process under a private package name). Such twins (same class
name, same ``<package>.<module>`` tail) are accepted and the registry keeps the first one, so
what it lists does not depend on what ran. Two different classes claiming one id raise
`DuplicateReactorError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from reactor_sdk.errors import DuplicateReactorError, ReactorDefinitionError

if TYPE_CHECKING:
    from reactor_sdk.base import Reactor


def _twin(first: type, second: type) -> bool:
    tail = lambda cls: cls.__module__.split(".")[-2:]  # noqa: E731
    return first.__qualname__ == second.__qualname__ and tail(first) == tail(second)


class Registry[T: type]:
    """Classes filed by a string key; use `register` as a function or a class decorator."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._lock = threading.Lock()

    def register(self, key: str, cls: T) -> T:
        """File ``cls`` under ``key`` (see the module docstring for twins)."""
        with self._lock:
            existing = self._entries.get(key)
            if existing is None:
                self._entries[key] = cls
            elif existing is not cls and not _twin(existing, cls):
                raise DuplicateReactorError(
                    f"{self.kind}: {key!r} is already registered by "
                    f"{existing.__module__}.{existing.__qualname__}"
                )
        return cls

    def decorator(self, key: Callable[[T], str]) -> Callable[[T], T]:
        """A class decorator that registers a class under ``key(cls)``."""

        def register(cls: T) -> T:
            return self.register(key(cls), cls)

        return register

    def unregister(self, key: str) -> None:
        """Forget ``key`` (tests)."""
        with self._lock:
            self._entries.pop(key, None)

    def get(self, key: str) -> T | None:
        return self._entries.get(key)

    def __getitem__(self, key: str) -> T:
        entry = self._entries.get(key)
        if entry is None:
            raise KeyError(f"{self.kind}: no {key!r}")
        return entry

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def keys(self) -> list[str]:
        return sorted(self._entries)

    def values(self) -> list[T]:
        return [self._entries[key] for key in sorted(self._entries)]

    def items(self) -> list[tuple[str, T]]:
        return [(key, self._entries[key]) for key in sorted(self._entries)]


#: Every reactor class imported in this process, by reactor id.
REACTORS: Registry[type[Reactor]] = Registry("reactors")


def reactor[R: type[Reactor]](cls: R) -> R:
    """Class decorator: check ``cls`` is a complete reactor and register it under its id."""
    problems = cls.definition_problems()
    if problems:
        raise ReactorDefinitionError(f"{cls.__qualname__}: " + "; ".join(problems))
    REACTORS.register(cls.id, cls)
    return cls
