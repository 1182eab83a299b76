"""Shared fixtures, layered by cost.

- every test: an isolated environment (dummy credentials, no endpoints, a temporary data folder),
  and fresh config, sessions and model bindings;
- ``moto_aws``: in-process moto with every table created (functional tier);
- ``dynamodb_local``: one real DynamoDB Local (in memory) for the session; ``ddb_tables`` gives a
  test its own, freshly created tables in it (integration tier);
- ``local_runtime``: the whole local runtime in a temporary data folder (integration tier).

moto's EC2 loads about 1,300 Amazon images into every account and region it serves (a second
per backend, and thousands of snapshots in ``DescribeSnapshots``); the tests use one image, so
``MOTO_AMIS_PATH`` (read when moto is first imported) points at a file with that one.

Tests make a fresh botocore session for almost every test: `tests.botocore_sessions` makes each
one copy botocore's built-in handlers instead of registering them again, share one loader,
reuse a client class, service model and endpoint rule set made for the same data, and copy
handler tries by sharing their nodes; `tests.moto_core` and `tests.moto_dynamodb` take costs out
of moto that are moto's own (see each module's docstring).
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("MOTO_AMIS_PATH", str(Path(__file__).with_name("moto_amis.json")))

from console.devserver import devserver_nodelay
from ouroboros.aws import reset_sessions  # after MOTO_AMIS_PATH (see the docstring)
from ouroboros.config import reset_config
from ouroboros.models import bind_models
from tests.botocore_sessions import (
    client_classes_shared,
    emitters_shared,
    models_shared,
    sessions_prototyped,
)
from tests.moto_core import moto_core_lightened
from tests.moto_dynamodb import moto_dynamodb_lightened

sessions_prototyped()
client_classes_shared()
emitters_shared()
models_shared()
moto_core_lightened()
moto_dynamodb_lightened()
devserver_nodelay()  # the tests' live consoles answer as runlocal's does (console/devserver.py)

#: The strict IAM check: every AWS call a deployed function makes is judged (tests/strict).
pytest_plugins = ["tests.strict.plugin", "tests.xdist_workers"]

EVENTS_DIR = Path(__file__).parent / "events"
_AWS_VARS = [k for k in os.environ if k.startswith(("AWS_", "OUROBOROS_"))]


def load_event(relative: str) -> Any:
    """A real payload from ``tests/events`` (see tests/events/SOURCES.md for provenance)."""
    return json.loads((EVENTS_DIR / relative).read_text())


def _refresh() -> None:
    reset_config()
    reset_sessions()
    bind_models()


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No test sees real AWS credentials or endpoints; each gets its own data folder."""
    for key in _AWS_VARS:
        monkeypatch.delenv(key, raising=False)
    for key in list(os.environ):
        if key.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("OUROBOROS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OUROBOROS_HUB_TABLE_PREFIX", "hub")
    _refresh()
    yield tmp_path / "data"
    monkeypatch.undo()
    _refresh()


#: moto's empty tables, by their names and region: created once through the API per process,
#: copied into each test's fresh moto (`moto_aws`).
_moto_tables: dict[tuple[str, ...], _Frozen] = {}


class _NotPlainData(Exception):
    """An object that defines its own deep copy: pickling it might not copy it the same way."""


class _PlainDataPickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if not isinstance(obj, type) and getattr(type(obj), "__deepcopy__", None) is not None:
            raise _NotPlainData(type(obj).__name__)
        return NotImplemented


class _Frozen:
    """A value kept to be deep-copied again and again: as a pickle when nothing in it has a deep
    copy of its own (unpickling a few empty tables: 0.3 ms; ``copy.deepcopy``: 5 ms), else as
    itself, for ``copy.deepcopy``."""

    def __init__(self, value: Any) -> None:
        self._value: Any = None
        buffer = io.BytesIO()
        try:
            _PlainDataPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
        except (_NotPlainData, pickle.PicklingError, TypeError, AttributeError):
            self._value, self._data = copy.deepcopy(value), b""
            return
        self._data = buffer.getvalue()

    def copy(self) -> Any:
        if self._data:
            return pickle.loads(self._data)  # noqa: S301 (bytes this process pickled itself)
        return copy.deepcopy(self._value)


@pytest.fixture
def moto_aws() -> Iterator[None]:
    """In-process moto for every service, with all Ouroboros tables created.

    ``tables_ensure`` through the API costs about a second per test (two DescribeTable calls and
    a CreateTable per table); the first test of a process pays it, and the others get a copy of
    the empty tables it left in moto's DynamoDB backend (under a millisecond, `_Frozen`): same
    names, keys, indexes and streams, no items.
    """
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from ouroboros.config import get_config
    from ouroboros.models.tables import models_for, tables_ensure

    with mock_aws():
        _refresh()
        models = models_for("all")
        region = get_config().region
        key = (region, *(model.Meta.table_name for model in models))
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
        if key in _moto_tables:
            backend.tables = _moto_tables[key].copy()
        else:
            tables_ensure("all")
            if {getattr(model.Meta, "region", region) for model in models} == {region}:
                _moto_tables[key] = _Frozen(backend.tables)
        yield
    _refresh()


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real DynamoDB Local (in memory, 127.0.0.1) for the whole test session; its URL."""
    from emulator.dynamodb_local import dynamodb_local_start

    server = dynamodb_local_start(tmp_path_factory.mktemp("ddb"), in_memory=True)
    try:
        yield server.url
    finally:
        server.stop()


_stage_numbers = itertools.count(1)


@pytest.fixture
def ddb_tables(dynamodb_local: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This test's own tables in the session's DynamoDB Local (a fresh stage name per test)."""
    from ouroboros.models.tables import tables_ensure

    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", dynamodb_local)
    monkeypatch.setenv("OUROBOROS_STAGE", f"t{next(_stage_numbers)}")
    _refresh()
    tables_ensure("all")
    yield dynamodb_local


@pytest.fixture
def local_runtime(isolated_env: Path, dynamodb_local: str) -> Iterator[Any]:
    """The whole local runtime (moto server and every extension) on the worker's DynamoDB Local.

    A JVM start per test would cost seconds: the runtime uses the session's DynamoDB Local and
    its tables are dropped when it stops, so the next runtime starts as clean as a new one. The
    tests that need DynamoDB Local's own lifecycle (persistence, the data folder, stopping Java)
    start a `LocalRuntime` of their own.
    """
    from emulator.runtime import LocalRuntime
    from ouroboros.models.tables import tables_delete

    runtime = LocalRuntime(data_dir=isolated_env, dynamodb_url=dynamodb_local)
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local)
            _refresh()
            tables_delete("all")
        _refresh()


class SharedStage:
    """Tables in the session's DynamoDB Local shared by the tests of one module (see below)."""

    def __init__(self, url: str, stage: str) -> None:
        self.url, self.stage = url, stage

    def apply(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for key in _AWS_VARS:
            monkeypatch.delenv(key, raising=False)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        monkeypatch.setenv("OUROBOROS_HUB_TABLE_PREFIX", "hub")
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", self.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", self.url)
        monkeypatch.setenv("OUROBOROS_STAGE", self.stage)
        _refresh()

    @contextmanager
    def active(self) -> Iterator[None]:
        """Point models at these tables for the block (module-scoped set-up writes data here)."""
        with pytest.MonkeyPatch.context() as mp:
            self.apply(mp)
            yield
        _refresh()


@pytest.fixture(scope="module")
def ddb_module_stage(dynamodb_local: str) -> SharedStage:
    """Tables created once per test module: for modules whose set-up data the tests only read."""
    from ouroboros.models.tables import tables_ensure

    shared = SharedStage(dynamodb_local, f"m{next(_stage_numbers)}")
    with shared.active():
        tables_ensure("all")
    return shared


@pytest.fixture
def ddb_module_tables(ddb_module_stage: SharedStage, monkeypatch: pytest.MonkeyPatch) -> str:
    """This test runs against its module's shared tables (``ddb_module_stage``)."""
    ddb_module_stage.apply(monkeypatch)
    return ddb_module_stage.url
