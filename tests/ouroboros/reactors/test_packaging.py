"""Deterministic artifacts and their manifests (imports run in a subprocess, no AWS)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from ouroboros.reactors.artifact_checks import artifact_static_problem
from ouroboros.reactors.errors import ArtifactError, ManifestError
from ouroboros.reactors.manifest import MANIFEST_NAME, manifest_problems
from ouroboros.reactors.packaging import SDK_ROOT, artifact_load, package_entries, reactor_build
from tests.reactor_support import CATALOG, built_artifact


def _copy(tmp_path: Path, name: str = "s3_public_read") -> Path:
    target = tmp_path / "src" / name
    shutil.copytree(CATALOG / "s3_public_read", target)
    return target


def test_same_source_gives_the_same_bytes_whatever_the_disk_says(tmp_path: Path) -> None:
    reference = built_artifact("s3_public_read")
    source = _copy(tmp_path)
    # Noise that must not reach the artifact: mtimes, modes, caches, editor files, tests.
    for path in source.rglob("*"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
        path.chmod(0o755)
    (source / "__pycache__").mkdir(exist_ok=True)
    (source / "__pycache__" / "reactor.cpython-312.pyc").write_bytes(b"\x00junk")
    (source / ".reactor.py.swp").write_bytes(b"junk")
    (source / "test_reactor.py").write_text("assert False\n")
    artifact = reactor_build(source=source, out_dir=tmp_path / "out")
    assert artifact.sha256 == reference.sha256
    assert artifact.path.read_bytes() == reference.path.read_bytes()
    assert hashlib.sha256(artifact.path.read_bytes()).hexdigest() == artifact.sha256


def test_scenarios_stay_out_of_the_artifact() -> None:
    # The official package ships scenarios.py beside reactor.py: test data, not reactor code.
    assert (CATALOG / "s3_public_read" / "scenarios.py").is_file()
    names = [name for name, _ in package_entries(CATALOG / "s3_public_read")]
    assert "s3_public_read/reactor.py" in names
    assert not [name for name in names if name.endswith("scenarios.py")]
    with zipfile.ZipFile(built_artifact("s3_public_read").path) as archive:
        assert not [name for name in archive.namelist() if name.endswith("scenarios.py")]
        assert "reactor_sdk/testing.py" in archive.namelist()  # the SDK ships it for authors


def test_zip_entries_are_sorted_dated_and_0644() -> None:
    artifact = built_artifact("s3_public_read")
    with zipfile.ZipFile(artifact.path) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
        sdk = {
            f"reactor_sdk/{p.relative_to(SDK_ROOT).as_posix()}"
            for p in SDK_ROOT.rglob("*.py")
            if "__pycache__" not in p.parts
        }
        reactor = {
            f"s3_public_read/{p.name}"
            for p in (CATALOG / "s3_public_read").glob("*.py")
            if p.name != "scenarios.py"  # test data (test_scenarios_stay_out_of_the_artifact)
        }
        assert "reactor_sdk/session.py" in sdk and "s3_public_read/reactor.py" in reactor
        # Exactly the SDK package, the reactor and the manifest: nothing else of Ouroboros.
        assert set(names) == sdk | reactor | {MANIFEST_NAME}
        assert not any(n.startswith("ouroboros/") for n in names)
        inside = json.loads(archive.read(MANIFEST_NAME))
    beside = json.loads(artifact.manifest_path.read_text())
    assert beside == {**inside, "sha256": artifact.sha256, "size": artifact.size}
    assert inside["entry_point"] == "s3_public_read.reactor.handler"
    assert inside["package"] == "s3_public_read"
    assert manifest_problems(beside) == []


def test_a_built_artifact_loads_back(tmp_path: Path) -> None:
    artifact = built_artifact("s3_public_read")
    loaded = artifact_load(artifact.path)
    assert loaded.sha256 == artifact.sha256 and loaded.manifest == artifact.manifest


def test_a_change_in_the_code_changes_the_digest(tmp_path: Path) -> None:
    source = _copy(tmp_path)
    (source / "reactor.py").write_text((source / "reactor.py").read_text() + "\n# changed\n")
    assert (
        reactor_build(source=source, out_dir=tmp_path / "o").sha256
        != built_artifact("s3_public_read").sha256
    )


def test_a_package_that_needs_more_than_the_lambda_runtime_is_refused(tmp_path: Path) -> None:
    source = _copy(tmp_path)
    (source / "reactor.py").write_text((source / "reactor.py").read_text() + "\nimport django\n")
    with pytest.raises(ArtifactError, match=r"does not import on its own.*django"):
        reactor_build(source=source, out_dir=tmp_path / "out")


def test_a_package_without_a_reactor_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "empty_pkg"
    source.mkdir()
    (source / "__init__.py").write_text('"""Nothing here."""\n')
    with pytest.raises(ArtifactError, match=r"expected exactly one reactor, found \[\]"):
        reactor_build(source=source, out_dir=tmp_path / "out")


@pytest.mark.parametrize("name", ["not a package", "ouroboros"])
def test_bad_package_folders_are_refused(tmp_path: Path, name: str) -> None:
    source = tmp_path / name
    source.mkdir()
    if name == "ouroboros":
        (source / "__init__.py").write_text("")
    with pytest.raises(ArtifactError):
        reactor_build(source=source, out_dir=tmp_path / "out")


def test_loading_something_else_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(b"no zip")
    with pytest.raises(ArtifactError, match="not a reactor artifact"):
        artifact_load(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(MANIFEST_NAME, "{not json")
    with pytest.raises(ManifestError, match="is not JSON"):
        artifact_load(path)


PACKAGES = sorted(p.name for p in CATALOG.iterdir() if (p / "reactor.py").is_file())


@pytest.mark.long
def test_every_official_reactor_builds_reproducibly(tmp_path: Path) -> None:
    for package in PACKAGES:
        first = built_artifact(package)
        again = reactor_build(source=CATALOG / package, out_dir=tmp_path / package)
        assert again.sha256 == first.sha256, package
        assert first.manifest["package"] == package


@pytest.mark.parametrize("package", PACKAGES)
def test_every_official_artifact_passes_the_hub_static_checks(package: str) -> None:
    """What the Hub verifies before running anything (`artifact_static_problem`), the catalog
    must pass: a package whose ``permissions`` are not literals could never be installed.
    (Here, beside the reproducibility test, so the session's builds serve both.)"""
    problem, manifest = artifact_static_problem(built_artifact(package).path.read_bytes())
    assert problem is None, f"{package}: {problem}"
    assert manifest["package"] == package
