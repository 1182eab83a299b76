"""The xdist plugin of the tests (`tests.xdist_workers`): the order files are handed out in, and
a worker's exit without interpreter teardown."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.xdist_workers import LONG_MARK, database_use, files_in_handout_order

ROOT = Path(__file__).resolve().parents[1]


def _file_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _files(items: list[pytest.Item]) -> list[str]:
    return list(dict.fromkeys(_file_of(item) for item in items))


def test_the_suites_order_keeps_database_tests_before_transactional_ones_and_long_files_early(
    request: pytest.FixtureRequest,
) -> None:
    """On the whole collection of this run: every file reading the database without a
    transaction is handed out before any file with a transactional test (which empties the
    tables the others read), each file stays whole, and a long file comes first in its group."""
    items = list(request.session.items)
    ordered = files_in_handout_order(items)
    assert sorted(i.nodeid for i in ordered) == sorted(i.nodeid for i in items)
    files = _files(ordered)
    runs = [name for name, _ in itertools.groupby(_file_of(i) for i in ordered)]
    assert len(runs) == len(set(runs))  # each file's tests are handed out together
    uses: dict[str, set[int]] = {}
    for item in ordered:
        uses.setdefault(_file_of(item), set()).add(database_use(item))
    transactional = [n for n, f in enumerate(files) if 1 in uses[f]]
    plain_db = [n for n, f in enumerate(files) if 0 in uses[f] and 1 not in uses[f]]
    if transactional and plain_db:
        assert max(plain_db) < min(transactional)
    long_files = {_file_of(i) for i in ordered if i.get_closest_marker(LONG_MARK)}
    long_without_db = {f for f in long_files if uses[f] == {2}}
    # long files without the database open the queue
    assert set(files[: len(long_without_db)]) == long_without_db


def test_the_order_within_a_file_is_kept(request: pytest.FixtureRequest) -> None:
    items = list(request.session.items)
    ordered = files_in_handout_order(items)
    for name in _files(items):
        before = [i.nodeid for i in items if _file_of(i) == name]
        assert [i.nodeid for i in ordered if _file_of(i) == name] == before


@pytest.mark.django_db
def test_a_database_test_is_order_zero(request: pytest.FixtureRequest) -> None:
    assert database_use(request.node) == 0


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_is_order_one(request: pytest.FixtureRequest) -> None:
    assert database_use(request.node) == 1


def test_a_test_without_the_database_is_order_two(request: pytest.FixtureRequest) -> None:
    assert database_use(request.node) == 2


_EXIT_SCRIPT = """
import atexit, sys
sys.path.insert(0, {root!r})
from tests.xdist_workers import ExitWithoutTeardown

class Teardown:
    def __del__(self):
        print("teardown ran", flush=True)

kept = Teardown()  # freed in the interpreter's teardown only
if {wrap!r}:  # a tool wrapping every exit function registered from now on
    plain_register = atexit.register
    atexit.register = lambda function, *args, **kwargs: plain_register(
        lambda: function(*args, **kwargs)
    )
atexit.register(print, "registered first", flush=True)
atexit.register(print, "registered second", flush=True)
ExitWithoutTeardown().register()
if {late!r}:
    atexit.register(print, "registered after", flush=True)
print("main done", flush=True)
"""


def _exit_run(*, late: bool, wrap: bool = False) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(_EXIT_SCRIPT).format(root=str(ROOT), late=late, wrap=wrap)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


def test_a_worker_runs_every_exit_function_once_and_skips_the_teardown() -> None:
    run = _exit_run(late=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["main done", "registered second", "registered first"]


def test_an_exit_function_registered_later_makes_the_worker_end_the_ordinary_way() -> None:
    run = _exit_run(late=True)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[:4] == ["main done", "registered after", "registered second", "registered first"]
    assert lines.count("registered second") == 1
    assert "teardown ran" in lines


def test_a_wrapped_exit_function_does_not_run_the_exit_functions_again() -> None:
    """Our exit function, registered through a wrapper, cannot unregister itself: the exit
    functions it runs call it again, and that call returns."""
    run = _exit_run(late=False, wrap=True)
    assert run.returncode == 0, run.stderr
    assert "RecursionError" not in run.stderr
    assert run.stdout.splitlines() == ["main done", "registered second", "registered first"]
