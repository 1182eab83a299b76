"""Attack 1 of the reactor-trust review: the Hub verifier runs the author's code.

A crafted artifact (a small read-only reactor built normally, then given a hostile
``__init__.py``; its manifest and declarations are unchanged, so it passes every static check
and the trust rules) looks, while it is
imported during verification, at everything the red team reached: its own environment, the
runtime's through ``/proc/<pid>/environ``, the data folder and its Django secret key, the network
(a socket and an STS call to a moto server on 127.0.0.1). It reports what it saw through the
only channel it has, the exception that makes verification reject it; the test reads that
report from the item's ``status_reason`` and asserts the child learnt nothing.
"""

from __future__ import annotations

import json
import os
import resource
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulator.moto_server import MotoServer, moto_server_start
from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.models import HubReactorModel
from ouroboros.reactors import isolation
from ouroboros.reactors.errors import ArtifactError
from ouroboros.reactors.hub import hub_artifact_key, hub_reactor_register, hub_reactor_verify
from ouroboros.reactors.packaging import Artifact, reactor_build, sha256_hex, zip_deterministic
from tests.reactor_support import hub_bucket_ensure

pytestmark = pytest.mark.functional

REACTOR, VERSION, PACKAGE = "spy-probe", "1.0.0", "spy_probe"
SECRET = "canary-secret-key-that-must-not-leak"
PASSWORD = "canary-admin-password"
MARK = "OBSERVED:"

#: Runs at import; every probe records what it got (a value) or how it failed.
_SPY = r'''
"""A reactor package whose import spies on the verifier."""
import json, os, socket

def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode(errors="replace")
    except Exception as exc:
        return "error: " + type(exc).__name__

def _observe():
    seen = {"uid": os.getuid(), "env": dict(os.environ)}
    seen["parent_environ"] = _read(f"/proc/{os.getppid()}/environ")
    seen["verifier_environ"] = _read(f"/proc/{VERIFIER_PID}/environ")
    others = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) != os.getpid():
            text = _read(f"/proc/{pid}/environ")
            if not text.startswith("error"):
                others[pid] = text
    seen["other_environs"] = others
    seen["secret_key"] = _read(DATA_DIR + "/django-secret-key")
    try:
        seen["data_dir"] = os.listdir(DATA_DIR)
    except Exception as exc:
        seen["data_dir"] = "error: " + type(exc).__name__
    try:
        socket.create_connection(("127.0.0.1", MOTO_PORT), timeout=5).close()
        seen["socket"] = "connected"
    except Exception as exc:
        seen["socket"] = "error: " + type(exc).__name__
    try:
        import boto3
        sts = boto3.client("sts", endpoint_url=MOTO_URL, region_name="us-east-1")
        seen["sts_own_credentials"] = sts.get_caller_identity()["Arn"]
    except Exception as exc:
        seen["sts_own_credentials"] = "error: " + type(exc).__name__
    try:
        import boto3
        sts = boto3.client(
            "sts", endpoint_url=MOTO_URL, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        seen["sts_network"] = sts.get_caller_identity()["Arn"]
    except Exception as exc:
        seen["sts_network"] = "error: " + type(exc).__name__
    return seen

raise RuntimeError("OBSERVED:" + json.dumps(_observe()))
'''


_REACTOR_CODE = '''
"""A read-only reactor: the honest code the spy rides on."""

from reactor_sdk import Permission, Reactor, reactor, reactor_handler


@reactor
class SpyProbeReactor(Reactor):
    """Read a bucket policy and change nothing at all.

    It exists so that verification has a complete, honest reactor to import.
    """

    id = "spy-probe"
    version = "1.0.0"
    control_ids = ("S3.2",)
    permissions = (Permission(("s3:GetBucketPolicy",), ("arn:aws:s3:::*",)),)

    def remediate(self, finding, session, params, dry_run):
        return self.result(finding, dry_run=dry_run, changes=[])

    def rollback(self, finding, session, rollback_data):
        return self.result(finding, dry_run=False, changes=[], operation="rollback")


handler = reactor_handler(SpyProbeReactor)
'''


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Artifact:
    """The honest reactor's artifact (built, so imported, before any spy code is added)."""
    source = tmp_path_factory.mktemp("src") / PACKAGE
    source.mkdir()
    (source / "__init__.py").write_text('"""Spy probe."""\n')
    (source / "reactor.py").write_text(_REACTOR_CODE)
    return reactor_build(source=source, out_dir=tmp_path_factory.mktemp("out"))


@pytest.fixture
def moto_http() -> Iterator[MotoServer]:
    """A moto server on 127.0.0.1 the spy tries to reach; reset and stopped after."""
    server = moto_server_start()
    try:
        yield server
    finally:
        urllib.request.urlopen(  # moto's own reset endpoint on 127.0.0.1
            urllib.request.Request(f"{server.url}/moto-api/reset", method="POST"), timeout=10
        ).close()
        server.stop()


@pytest.fixture
def data_folder() -> Path:
    """The runtime's data folder (owner-only, as the runtime makes it) with a secret key."""
    folder = get_config().data_dir
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = folder / "django-secret-key"
    key.write_text(SECRET)
    key.chmod(0o600)
    return folder


def _hostile_artifact(probe: Artifact, init_code: str) -> bytes:
    """The probe's artifact with ``init_code`` as its package's ``__init__.py``."""
    with zipfile.ZipFile(probe.path) as archive:
        entries = [(n, archive.read(n)) for n in archive.namelist()]
    init = f"{PACKAGE}/__init__.py"
    return zip_deterministic([(n, init_code.encode() if n == init else d) for n, d in entries])


def _publish_and_verify(
    probe: Artifact, data: bytes, *, verify: Callable[[], HubReactorModel] | None = None
) -> HubReactorModel:
    digest = sha256_hex(data)
    key = hub_artifact_key(manifest=probe.manifest, sha256=digest)
    client("s3").put_object(Bucket=hub_bucket_ensure(), Key=key, Body=data)
    hub_reactor_register(
        manifest=probe.manifest,
        sha256=digest,
        size=len(data),
        artifact_key=key,
        published_by="test",
    )
    if verify is not None:
        return verify()
    return hub_reactor_verify(reactor_id=REACTOR, version=VERSION)


def _observations(reason: str) -> dict:
    assert MARK in reason, reason
    return json.loads(reason.split(MARK, 1)[1])


def test_a_reactor_importing_during_verification_learns_nothing(
    moto_aws: None,
    moto_http: MotoServer,
    data_folder: Path,
    probe: Artifact,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OUROBOROS_ADMIN_PASSWORD", PASSWORD)
    spy = (
        f"VERIFIER_PID = {os.getpid()}\nDATA_DIR = {str(data_folder)!r}\n"
        f"MOTO_PORT = {moto_http.port}\nMOTO_URL = {moto_http.url!r}\n" + _SPY
    )
    item = _publish_and_verify(probe, _hostile_artifact(probe, spy))

    assert item.status == "rejected" and item.latest is None
    seen = _observations(item.status_reason)
    assert seen["uid"] == isolation.CONFINED_UID
    # its own environment: a scratch HOME and a region, no credentials, nothing of the runtime
    # (LC_CTYPE is Python's own C-locale coercion, PEP 538)
    own = set(seen["env"]) - {"LC_CTYPE"}
    assert own == {"HOME", "AWS_DEFAULT_REGION", "AWS_EC2_METADATA_DISABLED"}
    assert seen["env"]["HOME"].endswith("/scratch")
    # the runtime's environment: no process of it is visible, the verifier's pid is not there
    assert seen["parent_environ"].startswith("error")
    assert seen["verifier_environ"].startswith("error")
    assert seen["other_environs"] == {}
    # the data folder: hidden and unreadable
    assert seen["secret_key"].startswith("error")
    assert seen["data_dir"] in ([], "error: PermissionError")
    # the network and AWS: nothing reachable, no credentials to use
    assert seen["socket"].startswith("error")
    assert seen["sts_own_credentials"] == "error: NoCredentialsError"
    assert seen["sts_network"] == "error: EndpointConnectionError"
    for secret in (SECRET, PASSWORD, "testing"):
        assert secret not in item.status_reason


def test_an_honest_reactor_is_verified_confined(moto_aws: None, probe: Artifact) -> None:
    item = _publish_and_verify(probe, probe.path.read_bytes())
    assert (item.status, item.status_reason) == ("verified", None)


def test_an_honest_reactor_is_verified_confined_from_an_owner_only_runtime(
    moto_aws: None, probe: Artifact, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local runtime runs with umask 077 and HOME need not be ``/root``: the folders the
    launcher makes to mount the interpreter back must still be traversable by nobody."""
    monkeypatch.setenv("HOME", "/tmp")
    saved = os.umask(0o077)
    try:
        item = _publish_and_verify(probe, probe.path.read_bytes())
    finally:
        os.umask(saved)
    assert (item.status, item.status_reason) == ("verified", None)


def test_without_confinement_verification_refuses_to_import(
    moto_aws: None, probe: Artifact, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(isolation, "_confinement", ["confinement needs root (test)"])
    item = _publish_and_verify(probe, probe.path.read_bytes())
    assert item.status == "rejected" and item.latest is None
    assert item.status_reason == (
        f"refusing to import {PACKAGE} unconfined: confinement needs root (test)"
    )


@pytest.mark.parametrize(
    ("init_code", "limit", "expected"),
    [
        ("while True:\n    pass\n", (resource.RLIMIT_CPU, 1), "failed"),
        ("hoard = bytearray(2 * 1024 ** 3)\n", None, "MemoryError"),
        ("open('big', 'wb').write(b'x' * (64 * 1024 * 1024))\n", None, "File too large"),
    ],
    ids=["cpu", "memory", "file-size"],
)
def test_a_confined_import_runs_under_limits(
    tmp_path: Path,
    probe: Artifact,
    monkeypatch: pytest.MonkeyPatch,
    init_code: str,
    limit: tuple[int, int] | None,
    expected: str,
) -> None:
    if limit is not None:
        limits = [(r, v) for r, v in isolation.CONFINED_LIMITS if r != limit[0]] + [limit]
        monkeypatch.setattr(isolation, "CONFINED_LIMITS", tuple(limits))
    path = tmp_path / "artifact.zip"
    path.write_bytes(_hostile_artifact(probe, init_code))
    if expected == "failed":  # killed by the kernel (SIGXCPU): no answer at all
        with pytest.raises(ArtifactError, match=f"importing {PACKAGE} failed"):
            isolation.package_introspect(path, package=PACKAGE, confined=True)
    else:
        found = isolation.package_introspect(path, package=PACKAGE, confined=True)
        assert found.errors and expected in found.errors[0]


def test_a_confined_import_that_hangs_is_stopped(
    tmp_path: Path, probe: Artifact, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(isolation, "TIMEOUT_SECONDS", 2)
    path = tmp_path / "artifact.zip"
    path.write_bytes(_hostile_artifact(probe, "import time\ntime.sleep(3600)\n"))
    with pytest.raises(ArtifactError, match=f"importing {PACKAGE} took over 2 s"):
        isolation.package_introspect(path, package=PACKAGE, confined=True)
