"""pytest plugin: how a run spreads its files over its pytest-xdist workers, and how they end.

Registered from ``tests/conftest.py`` (``pytest_plugins``); without xdist it does nothing.

**Long files first, database tests in pytest-django's order.** ``--dist loadfile`` hands each
worker whole files, in the order of a work queue. xdist sorts that queue by the number of tests in
a file, so a file holding one test of many seconds (the schemathesis fuzz run, 1 test, 16 s) was
handed out near the end and ran on one worker while the other had nothing left: 8-10 s of the
fast tier's 100. Handing that file out first broke a rule pytest-django keeps in one process
(tests using the database first, transactional ones after them, the others last): a
transactional test empties every table when it ends, so a later test on the same worker reading
what the migrations wrote (the role groups) failed. xdist's sort had kept the rule by chance
only (the transactional files hold one or two tests each, so came last).

Here every worker orders its collection the same way, and the controller keeps that order
(``loadscopereorder`` off): long files that do not use the database; files using the database
without transactions; files with a transactional test; the other files. Within each group,
files with a test marked ``long`` first, then most tests first.

**Workers skip interpreter teardown.** A worker ends only when the controller tells it to, after
the last test of the whole run; freeing its heap (every moto backend and botocore model the tests
made) then took 2.5-4 s, after which the run ended. A worker therefore runs the exit functions
registered with `atexit` (the tests' folder removals, logging's flush, weakref finalizers) and
ends with ``os._exit(0)``, without the teardown. Its results reached the controller before
(xdist sends them at the end of the session). When an exit function is registered after this
plugin's own (which is registered at the worker's ``pytest_unconfigure``), the worker ends the
ordinary way: that function would otherwise run twice.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections import Counter

import pytest
from django.test import TestCase, TransactionTestCase
from pytest_django.plugin import validate_django_db

LONG_MARK = "long"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{LONG_MARK}: runs for many seconds; under xdist its file is handed out first",
    )
    if hasattr(config.option, "loadscopereorder"):  # the controller: keep the workers' order
        config.option.loadscopereorder = False


def _file_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def database_use(item: pytest.Item) -> int:
    """pytest-django's order number of ``item``: 0 uses the database, 1 transactionally, 2 not."""
    test_class = getattr(item, "cls", None)
    if test_class is not None and issubclass(test_class, TransactionTestCase):
        return 0 if issubclass(test_class, TestCase) else 1
    marker = item.get_closest_marker("django_db")
    transactional = uses_db = False
    if marker is not None:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        uses_db, transactional = True, bool(transaction or reset_sequences)
    fixtures = getattr(item, "fixturenames", ())
    if transactional or "transactional_db" in fixtures or "live_server" in fixtures:
        return 1
    return 0 if uses_db or "db" in fixtures else 2


def files_in_handout_order(items: list[pytest.Item]) -> list[pytest.Item]:
    """``items`` with their files in the order to hand out (see the module docstring); the
    tests within a file keep their order, and so do files that compare equal."""
    counts = Counter(_file_of(item) for item in items)
    long_files = {_file_of(item) for item in items if item.get_closest_marker(LONG_MARK)}
    uses: dict[str, set[int]] = {}
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        uses.setdefault(_file_of(item), set()).add(database_use(item))
        first_seen.setdefault(_file_of(item), index)

    def group(name: str) -> int:
        if 1 in uses[name]:
            return 2
        if 0 in uses[name]:
            return 1
        return 0 if name in long_files else 3

    def order(item: pytest.Item) -> tuple[int, bool, int, int]:
        name = _file_of(item)
        return (group(name), name not in long_files, -counts[name], first_seen[name])

    return sorted(items, key=order)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if hasattr(config, "workerinput"):  # every worker collects, and must agree on the order
        items[:] = files_in_handout_order(items)


class ExitWithoutTeardown:
    """The exit function of a worker (see the module docstring)."""

    def __init__(self) -> None:
        self.registered = 0
        self.running = False

    def register(self) -> None:
        atexit.register(self)
        self.registered = atexit._ncallbacks()

    def __call__(self) -> None:
        if self.running:  # called again from the exit functions run below (a wrapped register)
            return
        if atexit._ncallbacks() != self.registered:
            return  # something registered after us: the ordinary exit runs everything once
        self.running = True
        atexit.unregister(self)
        atexit._run_exitfuncs()  # every other exit function, last registered first
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(0)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") and hasattr(atexit, "_run_exitfuncs"):
        ExitWithoutTeardown().register()
