"""Attack 5 of the reactor-trust review: artifact contents are inspected before anything runs.

Each crafted artifact starts from the official s3-public-read artifact and adds one hostile
thing (a zip-slip name, a symlink, a padded member, a zip bomb, a bloated manifest, a stray
module, code that declares other than its manifest). Each fails the static checks with a clear
reason; the attacks the review named, published to the Hub, end ``rejected`` and the package is
never imported (the confined import is replaced by a tripwire that fails the test).
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from collections.abc import Iterable

import pytest

from ouroboros.aws import client
from ouroboros.models import HubReactorModel
from ouroboros.reactors import hub
from ouroboros.reactors.artifact_checks import ArtifactLimits, artifact_static_problem
from ouroboros.reactors.hub import hub_artifact_key, hub_reactor_verify
from ouroboros.reactors.manifest import MANIFEST_NAME, manifest_dumps
from ouroboros.reactors.packaging import ZIP_DATE, ZIP_FILE_MODE, sha256_hex, zip_deterministic
from tests.reactor_support import built_artifact, hub_bucket_ensure

pytestmark = pytest.mark.functional

REACTOR, VERSION, PACKAGE = "s3-public-read", "1.0.0", "s3_public_read"
_MiB = 1024 * 1024


def _entries() -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(built_artifact(PACKAGE).path) as archive:
        return [(n, archive.read(n)) for n in archive.namelist()]


def _manifest() -> dict:
    return json.loads(dict(_entries())[MANIFEST_NAME])


def _zip(entries: Iterable[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    """A zip of ``entries`` in this order, names and attributes exactly as given."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of duplicate names
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                if isinstance(name, str):
                    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                    info.external_attr = ZIP_FILE_MODE << 16
                else:
                    info = name
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def _with(*extra: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    return _zip([*_entries(), *extra])


def _symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    return info, target.encode()


def _code_edited(old: str, new: str) -> bytes:
    reactor = f"{PACKAGE}/reactor.py"
    entries = [
        (n, d.replace(old.encode(), new.encode()) if n == reactor else d) for n, d in _entries()
    ]
    assert entries != _entries(), f"{old!r} not in {reactor}"
    return zip_deterministic(entries)


def _manifest_edited(edit: dict) -> tuple[bytes, dict]:
    manifest = {**_manifest(), **edit}
    entries = [(n, d) for n, d in _entries() if n != MANIFEST_NAME]
    return zip_deterministic([*entries, (MANIFEST_NAME, manifest_dumps(manifest))]), manifest


def _register_raw(data: bytes, manifest: dict) -> None:
    """Store ``data`` and a pending item for it, as a publisher could (no validation)."""
    digest = sha256_hex(data)
    key = hub_artifact_key(manifest=manifest, sha256=digest)
    client("s3").put_object(Bucket=hub_bucket_ensure(), Key=key, Body=data)
    HubReactorModel(
        REACTOR, VERSION, manifest=manifest, artifact_key=key, sha256=digest, status="pending"
    ).save()


@pytest.fixture
def no_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if verification gets as far as importing the package."""

    def tripwire(*args: object, **kwargs: object) -> None:
        raise AssertionError("the package was imported")

    monkeypatch.setattr(hub, "package_introspect", tripwire)


BOMB = b"\0" * (64 * _MiB)

CASES = {
    "zip-slip": (lambda: _with(("../evil.py", b"x = 1\n")), "unsafe artifact entry: '..' in"),
    "zip-slip-nested": (
        lambda: _with((f"{PACKAGE}/../../evil.py", b"x = 1\n")),
        "unsafe artifact entry: '..' in",
    ),
    "absolute": (lambda: _with(("/etc/cron.d/evil", b"x\n")), "unsafe artifact entry: absolute"),
    "symlink": (
        lambda: _with(_symlink(f"{PACKAGE}/secrets.py", "/work/.local/django-secret-key")),
        f"unsafe artifact entry: '{PACKAGE}/secrets.py' is a symlink",
    ),
    "directory": (
        lambda: _with((f"{PACKAGE}/data/", b"")),
        "is not a regular file",
    ),
    "duplicate": (
        lambda: _with((f"{PACKAGE}/reactor.py", b"raise SystemExit\n")),
        f"unsafe artifact entry: '{PACKAGE}/reactor.py' appears twice",
    ),
    "padded-member": (
        lambda: _with((f"{PACKAGE}/padding.bin", BOMB)),
        f"'{PACKAGE}/padding.bin' is {len(BOMB)} bytes uncompressed (at most",
    ),
    "zip-bomb": (
        lambda: _with((f"{PACKAGE}/bomb.bin", b"\0" * (4 * _MiB))),
        f"'{PACKAGE}/bomb.bin' compresses over 100:1",
    ),
    "stray-module": (
        lambda: _with(("sitecustomize.py", b"import os\n")),
        "unexpected entry 'sitecustomize.py'",
    ),
    "other-package": (
        lambda: _with(("boto3/__init__.py", b"import os\n")),
        "unexpected entry 'boto3/__init__.py'",
    ),
    "code-declares-other-id": (
        lambda: _code_edited('id = "s3-public-read"', 'id = "installer"'),
        "the code declares other id than the manifest",
    ),
    "code-declares-other-permissions": (
        lambda: _code_edited('"s3:DeleteBucketPolicy"', '"s3:DeleteBucket"'),
        "the code declares other permissions than the manifest",
    ),
    "code-computes-permissions": (
        lambda: _code_edited(
            "permissions = (", "permissions = tuple(__import__('os').environ) or ("
        ),
        "S3PublicReadReactor.permissions must be written as a literal",
    ),
    "two-reactors": (
        lambda: _with((f"{PACKAGE}/more.py", b"@reactor\nclass Other:\n    pass\n")),
        "expected exactly one @reactor class in the package's code, found 2",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_artifact_fails_the_static_checks(case: str) -> None:
    build, reason = CASES[case]
    problem, _ = artifact_static_problem(build())
    assert problem is not None and reason in problem


@pytest.mark.parametrize("case", ["zip-slip", "symlink", "padded-member", "code-declares-other-id"])
def test_hostile_artifact_is_rejected_by_the_hub_before_any_import(
    moto_aws: None, no_import: None, case: str
) -> None:
    build, reason = CASES[case]
    _register_raw(build(), _manifest())
    item = hub_reactor_verify(reactor_id=REACTOR, version=VERSION)
    assert item.status == "rejected" and item.latest is None
    assert reason in item.status_reason


def test_bloated_manifest_is_rejected_unparsed(moto_aws: None, no_import: None) -> None:
    bloat = {f"p{i}": {"type": "string", "description": "x" * 200} for i in range(500)}
    schema = {"type": "object", "properties": bloat, "additionalProperties": False}
    data, _ = _manifest_edited({"params_schema": schema})
    _register_raw(data, _manifest())
    item = hub_reactor_verify(reactor_id=REACTOR, version=VERSION)
    assert item.status == "rejected"
    assert item.status_reason == f"{MANIFEST_NAME} is over 65536 bytes"


def test_the_official_artifact_passes_the_static_checks() -> None:
    data = built_artifact(PACKAGE).path.read_bytes()
    problem, manifest = artifact_static_problem(data)
    assert problem is None and manifest == _manifest()


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        (ArtifactLimits(artifact_bytes=1000), "the artifact is "),
        (ArtifactLimits(entries=3), "entries (at most 3)"),
        (ArtifactLimits(total_bytes=10_000), "the artifact unpacks to "),
        (ArtifactLimits(member_bytes=1000), "bytes uncompressed (at most 1000)"),
    ],
)
def test_size_limits_apply(limits: ArtifactLimits, reason: str) -> None:
    data = built_artifact(PACKAGE).path.read_bytes()
    problem, _ = artifact_static_problem(data, limits=limits)
    assert problem is not None and reason in problem
