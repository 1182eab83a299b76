"""Deterministic reactor artifacts: same source, same bytes, same sha256.

`reactor_build` zips a reactor package together with the reactor SDK (the artifact runs alone in
Lambda: nothing but the runtime's boto3 is assumed), imports it in isolation to read what it
declares, and writes ``<id>-<version>.zip`` with its manifest inside (``MANIFEST_NAME``) and
beside it (``<id>-<version>.manifest.json``, adding the zip's ``sha256`` and ``size``).

Determinism: entries sorted by path; directories not stored; every entry dated 1980-01-01 00:00,
mode 0644, made on "Unix", deflated at level 9; no ``__pycache__``, ``*.pyc``, hidden files or
tests (``test_*`` files, and the package's ``scenarios.py``: test data for the scenario harness,
`reactor_sdk.testing`); the manifest is canonical JSON. Build time, umask, file order on disk
and mtimes leave no trace in the bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import reactor_sdk
from ouroboros.reactors.errors import ArtifactError, ManifestError
from ouroboros.reactors.isolation import package_introspect
from ouroboros.reactors.manifest import (
    MANIFEST_NAME,
    manifest_dumps,
    manifest_validate,
)

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o100644
_SKIP_DIRS = frozenset({"__pycache__", "tests", "node_modules"})
_SKIP_SUFFIXES = (".pyc", ".pyo", ".swp")
#: Files at the top of a package that are test data, not code the reactor runs.
_SKIP_TOP_LEVEL = frozenset({"scenarios.py"})
#: The reactor SDK package: every artifact carries all of its files (and nothing else of ours).
SDK_ROOT = Path(reactor_sdk.__file__).resolve().parent

Entries = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Artifact:
    """A built reactor artifact on disk."""

    path: Path
    manifest_path: Path
    manifest: dict[str, Any]
    sha256: str
    size: int


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def package_entries(source: Path) -> Entries:
    """The files of the reactor package at ``source``, as (path in the zip, bytes)."""
    entries: Entries = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in relative.parts):
            continue
        if not path.is_file() or path.suffix in _SKIP_SUFFIXES or path.name.startswith("test_"):
            continue
        if relative.as_posix() in _SKIP_TOP_LEVEL:
            continue
        entries.append((f"{source.name}/{relative.as_posix()}", path.read_bytes()))
    return entries


def sdk_entries() -> Entries:
    """The files of the reactor SDK package, read from this installation (same filters as a
    reactor package: no bytecode, hidden files or tests)."""
    return package_entries(SDK_ROOT)


def zip_deterministic(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of ``entries`` whose bytes depend on names and contents only."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3
            info.external_attr = ZIP_FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def artifact_manifest(data: bytes) -> dict[str, Any]:
    """The manifest inside an artifact's bytes; `ArtifactError` if unreadable."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            raw = archive.read(MANIFEST_NAME)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ArtifactError(f"not a reactor artifact (no readable {MANIFEST_NAME}): {exc}") from exc
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise ManifestError(f"{MANIFEST_NAME} is not JSON: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ManifestError(f"{MANIFEST_NAME}: expected a JSON object")
    return manifest


def _declared_manifest(staging: Path, package: str) -> dict[str, Any]:
    found = package_introspect(staging, package=package)
    if found.errors:
        raise ArtifactError(f"{package}: does not import on its own: {found.errors[0]}")
    if len(found.reactors) != 1:
        ids = [r.get("id") for r in found.reactors]
        raise ArtifactError(f"{package}: expected exactly one reactor, found {ids}")
    declared = dict(found.reactors[0])
    if declared.pop("problems", None):
        raise ArtifactError(f"{package}: incomplete reactor")
    if not declared.pop("entry_point_callable", False):
        raise ArtifactError(f"{package}: {declared['entry_point']} is not callable")
    declared["package"] = package
    return manifest_validate(declared)


def reactor_build(*, source: Path, out_dir: Path) -> Artifact:
    """Build the artifact of the reactor package at ``source`` into ``out_dir``."""
    source = source.resolve()
    package = source.name
    if not (source / "__init__.py").is_file() or not package.isidentifier():
        raise ArtifactError(f"{source}: not a Python package (a folder with __init__.py)")
    if package == "ouroboros":
        raise ArtifactError("a reactor package cannot be named 'ouroboros' (the SDK's name)")
    entries = package_entries(source) + sdk_entries()
    with tempfile.TemporaryDirectory(prefix="ouroboros-build-") as tmp:
        staging = Path(tmp) / "staging.zip"
        staging.write_bytes(zip_deterministic(entries))
        manifest = _declared_manifest(staging, package)
    data = zip_deterministic([*entries, (MANIFEST_NAME, manifest_dumps(manifest))])
    digest = sha256_hex(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{manifest['id']}-{manifest['version']}"
    path = out_dir / f"{stem}.zip"
    path.write_bytes(data)
    beside = {**manifest, "sha256": digest, "size": len(data)}
    manifest_path = out_dir / f"{stem}.manifest.json"
    manifest_path.write_bytes(manifest_dumps(beside))
    return Artifact(path, manifest_path, beside, digest, len(data))


def artifact_load(path: Path) -> Artifact:
    """An artifact built earlier: its bytes' digest and the manifest inside, validated."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactError(f"cannot read {path}: {exc}") from exc
    manifest = manifest_validate(artifact_manifest(data))
    digest = sha256_hex(data)
    beside = {**manifest, "sha256": digest, "size": len(data)}
    return Artifact(path, path.with_suffix(".manifest.json"), beside, digest, len(data))
