"""Official reactors, and the trust rule for dangerous permissions.

A reactor may declare a dangerous action (`ouroboros.reactors.dangerous_actions`) only when it is
**official** and an admin approved each such action at install. Official is decided from the
artifact's bytes and the Ouroboros code, never from anything a publisher writes:

- the reactor id and version are listed in ``data/official_reactors.json``, a file of this code
  base (generated from the official catalog ``lambdas/reactors`` by
  ``manage.py reactor_trust_data --write``, which keeps the versions listed before, so a
  published older version stays official; a test fails while the current catalog is not listed
  as it is), and the artifact's package is the listed one;
- every file of that package in the artifact hashes to the listed digest (`package_digest`:
  sha256 over each file's name and sha256), so its code is byte for byte the reviewed code;
- the bundled ``reactor_sdk`` is byte for byte the verifier's SDK (a modified SDK could drop the
  session policy), and the artifact holds nothing else but its manifest. The installer re-checks
  everything but the SDK: the Hub's signed verdict covers those bytes, and the consumer may run
  a newer Ouroboros than the one that verified them;
- the dangerous actions its manifest declares are exactly the listed ones.

So a publisher (who may write any Hub record: see the signed verdict) cannot make code official:
only a change to this repository, reviewed like any other, can. The Hub verifier refuses dangerous
actions of non-official reactors; the installer checks again, offline, and also requires the
approval (`approval_problems`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ouroboros.reactors.dangerous_actions import manifest_dangerous_actions
from ouroboros.reactors.manifest import MANIFEST_NAME
from ouroboros.reactors.packaging import sdk_entries

DATA_FILE = Path(__file__).resolve().parent / "data" / "official_reactors.json"
SDK_PACKAGE = "reactor_sdk"


@functools.cache
def official_reactors() -> dict[str, dict[str, dict[str, Any]]]:
    """Reactor id -> version -> {package, files_sha256, dangerous_actions}: the official ones."""
    data = json.loads(DATA_FILE.read_text())
    reactors = data.get("reactors") if isinstance(data, dict) else None
    if not isinstance(reactors, dict):
        raise ValueError(f"{DATA_FILE}: expected an object with a 'reactors' object")
    return reactors


def package_digest(entries: Iterable[tuple[str, bytes]]) -> str:
    """One sha256 over the (name, content sha256) of each entry, in name order."""
    digest = hashlib.sha256()
    for name, data in sorted(entries):
        digest.update(f"{name}\0{hashlib.sha256(data).hexdigest()}\n".encode())
    return digest.hexdigest()


def _entries(data: bytes) -> list[tuple[str, bytes]] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [(i.filename, archive.read(i)) for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None


def official_problem(manifest: Mapping[str, Any], data: bytes, *, sdk: bool = True) -> str | None:
    """Why the artifact ``data`` with ``manifest`` is not official (None: it is); ``sdk`` False
    leaves out the comparison of the bundled SDK with this installation's (the installer)."""
    reactor_id, version = str(manifest.get("id")), str(manifest.get("version"))
    listed = official_reactors().get(reactor_id, {}).get(version)
    if listed is None:
        return f"{reactor_id} {version} is not an official reactor version"
    package = str(manifest.get("package"))
    if package != listed["package"]:
        return f"official {reactor_id} is package {listed['package']}, not {package}"
    entries = _entries(data)
    if entries is None:
        return "the artifact is not a readable zip"
    own = [(n, b) for n, b in entries if n.startswith(f"{package}/")]
    bundled = sorted((n, b) for n, b in entries if n.startswith(f"{SDK_PACKAGE}/"))
    other = [n for n, _ in entries if not n.startswith((f"{package}/", f"{SDK_PACKAGE}/"))]
    if package_digest(own) != listed["files_sha256"]:
        return f"the code of {package} differs from the official {reactor_id}"
    if sdk and bundled != sorted(sdk_entries()):
        return "the bundled reactor_sdk differs from this Ouroboros's reactor SDK"
    if other != [MANIFEST_NAME]:
        return f"the artifact holds files beside its package and the SDK: {other[:5]}"
    if manifest_dangerous_actions(manifest) != sorted(listed["dangerous_actions"]):
        return f"the dangerous actions differ from those listed for the official {reactor_id}"
    return None


def trust_problems(manifest: Mapping[str, Any], data: bytes, *, sdk: bool = True) -> list[str]:
    """Why this artifact's permissions must be refused (empty: none).

    Dangerous actions are refused unless the reactor is official (see the module docstring).
    """
    dangerous = manifest_dangerous_actions(manifest)
    if not dangerous:
        return []
    problem = official_problem(manifest, data, sdk=sdk)
    if problem is None:
        return []
    return [
        f"dangerous actions {', '.join(dangerous)} are allowed only in official reactors "
        f"(approved by an admin at install): {problem}"
    ]


def approval_problems(manifest: Mapping[str, Any], approved: Sequence[str] | None) -> list[str]:
    """Why an install with ``approved`` actions may not proceed (empty: it may).

    An admin must approve exactly the dangerous actions the manifest declares: none missing (the
    admin saw them all) and none extra (an approval is for one list, not a blank cheque).
    """
    dangerous = manifest_dangerous_actions(manifest)
    given = sorted(set(approved or []))
    if given == dangerous:
        return []
    if not dangerous:
        return [f"nothing to approve, but approval was given for {', '.join(given)}"]
    missing = [a for a in dangerous if a not in given]
    if missing:
        return [
            f"{manifest.get('id')} declares dangerous actions that need an admin's approval: "
            f"{', '.join(dangerous)} (approve exactly these; missing: {', '.join(missing)})"
        ]
    extra = [a for a in given if a not in dangerous]
    return [f"approval names actions the reactor does not declare: {', '.join(extra)}"]
