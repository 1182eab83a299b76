"""Static checks of a reactor artifact: what the Hub verifies before anything of it runs.

Nothing here imports or executes the artifact's code. `artifact_static_problem` reads the zip's
central directory and, with bounded reads, the manifest and the package's Python sources:

1. size of the zip (``ArtifactLimits.artifact_bytes``);
2. structure: entry count, each member's and the total uncompressed size, compression ratio of
   large members, only regular files (no symlinks, devices or directories: zip external
   attributes), no absolute, ``..``, backslash or empty names, no duplicates, no encryption,
   only stored or deflated members;
3. the manifest (``MANIFEST_NAME``): size cap, JSON object, the manifest schema and rules;
4. contents: only what the packager writes (the declared package, the bundled ``reactor_sdk``,
   the manifest), with ``<package>/__init__.py``;
5. the code, parsed (``ast``, never imported): exactly one ``@reactor`` class whose ``id``,
   ``control_ids`` and ``permissions`` are literals equal to the manifest's.

A good artifact (`ouroboros.reactors.packaging.reactor_build`) passes all of them; the first
problem found is the reason an artifact is rejected.
"""

from __future__ import annotations

import ast
import io
import json
import stat
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from ouroboros.reactors.manifest import MANIFEST_NAME, manifest_problems

#: The SDK package every artifact bundles (`ouroboros.reactors.packaging.sdk_entries`).
SDK_PACKAGE = "reactor_sdk"
#: Fields the AST check reads from the code and compares with the manifest.
STATIC_FIELDS = ("id", "control_ids", "permissions")
_ALLOWED_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_MiB = 1024 * 1024


@dataclass(frozen=True)
class ArtifactLimits:
    """Caps on an artifact (a reactor is a few source files: these leave ample room)."""

    artifact_bytes: int = 10 * _MiB
    entries: int = 500
    member_bytes: int = 5 * _MiB
    total_bytes: int = 25 * _MiB
    manifest_bytes: int = 64 * 1024
    #: Members at least this large must not compress better than ``ratio`` to 1.
    ratio_floor_bytes: int = 64 * 1024
    ratio: int = 100


DEFAULT_LIMITS = ArtifactLimits()


def _name_problem(name: str) -> str | None:
    parts = name.split("/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return f"absolute path {name!r}"
    if "\\" in name or "\x00" in name:
        return f"backslash or NUL in {name!r}"
    if ".." in parts:
        return f"'..' in {name!r}"
    if any(part in ("", ".") for part in parts):
        return f"empty or '.' component in {name!r}"
    return None


def _member_problem(info: zipfile.ZipInfo, limits: ArtifactLimits) -> str | None:
    name = info.filename
    mode = info.external_attr >> 16
    if info.is_dir() or (stat.S_IFMT(mode) and not stat.S_ISREG(mode)):
        kind = "a symlink" if stat.S_ISLNK(mode) else "not a regular file"
        return f"{name!r} is {kind} (only regular files are allowed)"
    problem = _name_problem(name)
    if problem:
        return problem
    if info.flag_bits & 0x1:
        return f"{name!r} is encrypted"
    if info.compress_type not in _ALLOWED_COMPRESSION:
        return f"{name!r}: compression method {info.compress_type} (stored or deflated only)"
    if info.file_size > limits.member_bytes:
        return f"{name!r} is {info.file_size} bytes uncompressed (at most {limits.member_bytes})"
    ratio_size = max(info.compress_size, 1) * limits.ratio
    if info.file_size >= limits.ratio_floor_bytes and info.file_size > ratio_size:
        return f"{name!r} compresses over {limits.ratio}:1 (a zip bomb?)"
    return None


def zip_structure_problem(archive: zipfile.ZipFile, limits: ArtifactLimits) -> str | None:
    """Why the zip's member list is unacceptable, or None (reads no member's data)."""
    members = archive.infolist()
    if len(members) > limits.entries:
        return f"the artifact has {len(members)} entries (at most {limits.entries})"
    seen: set[str] = set()
    total = 0
    for info in members:
        problem = _member_problem(info, limits)
        if problem:
            return "unsafe artifact entry: " + problem
        if info.filename in seen:
            return f"unsafe artifact entry: {info.filename!r} appears twice"
        seen.add(info.filename)
        total += info.file_size
    if total > limits.total_bytes:
        return f"the artifact unpacks to {total} bytes (at most {limits.total_bytes})"
    return None


def _read_bounded(archive: zipfile.ZipFile, name: str, cap: int) -> bytes | None:
    """The member's bytes, or None when it decompresses to more than ``cap`` (whatever its
    header declares)."""
    with archive.open(name) as handle:
        data = handle.read(cap + 1)
    return None if len(data) > cap else data


def _manifest_read(archive: zipfile.ZipFile, limits: ArtifactLimits) -> dict[str, Any] | str:
    """The manifest, or why it is unacceptable."""
    if MANIFEST_NAME not in archive.namelist():
        return f"not a reactor artifact (no {MANIFEST_NAME})"
    raw = _read_bounded(archive, MANIFEST_NAME, limits.manifest_bytes)
    if raw is None:
        return f"{MANIFEST_NAME} is over {limits.manifest_bytes} bytes"
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        return f"{MANIFEST_NAME} is not JSON: {exc}"
    problems = manifest_problems(manifest)
    if problems:
        return "invalid manifest: " + "; ".join(problems)
    assert isinstance(manifest, dict)
    return manifest


def _contents_problem(names: list[str], package: str) -> str | None:
    if package == SDK_PACKAGE:
        return f"the package cannot be named {SDK_PACKAGE!r} (the bundled SDK's name)"
    for name in names:
        top = name.split("/", 1)[0]
        if name != MANIFEST_NAME and ("/" not in name or top not in (package, SDK_PACKAGE)):
            return f"unexpected entry {name!r} (only {package}/, {SDK_PACKAGE}/ and the manifest)"
    if f"{package}/__init__.py" not in names:
        return f"the artifact has no {package}/__init__.py"
    if f"{SDK_PACKAGE}/__init__.py" not in names:
        return f"the artifact does not bundle {SDK_PACKAGE}"
    return None


class _NotLiteral(ValueError):
    """A declaration the AST check cannot read without running code."""


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise _NotLiteral from None


def _permission(node: ast.expr) -> dict[str, list[str]]:
    """``Permission(actions, resources=("*",))`` written with literals, as a manifest dict."""
    if not isinstance(node, ast.Call) or _callee_name(node.func) != "Permission":
        raise _NotLiteral
    args = dict(zip(("actions", "resources"), node.args, strict=False))
    if len(node.args) > 2:
        raise _NotLiteral
    for keyword in node.keywords:
        if keyword.arg not in ("actions", "resources") or keyword.arg in args:
            raise _NotLiteral
        args[keyword.arg] = keyword.value
    if "actions" not in args:
        raise _NotLiteral
    actions = _literal(args["actions"])
    resources = _literal(args["resources"]) if "resources" in args else ("*",)
    if not isinstance(actions, tuple | list) or not isinstance(resources, tuple | list):
        raise _NotLiteral
    return {"actions": list(actions), "resources": list(resources)}


def _callee_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_reactor_class(node: ast.ClassDef) -> bool:
    return any(
        _callee_name(d.func if isinstance(d, ast.Call) else d) == "reactor"
        for d in node.decorator_list
    )


def _class_declarations(node: ast.ClassDef) -> dict[str, Any]:
    """The class-level ``id``, ``control_ids`` and ``permissions``, read as literals."""
    values: dict[str, ast.expr] = {}
    for statement in node.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in STATIC_FIELDS:
            values[target.id] = value
    declared: dict[str, Any] = {}
    for name in STATIC_FIELDS:
        if name not in values:
            raise _NotLiteral(name)
        try:
            if name == "permissions":
                items = values[name]
                if not isinstance(items, ast.Tuple | ast.List):
                    raise _NotLiteral
                declared[name] = [_permission(item) for item in items.elts]
            else:
                value = _literal(values[name])
                declared[name] = list(value) if isinstance(value, tuple | list) else value
        except _NotLiteral:
            raise _NotLiteral(name) from None
    return declared


def code_declarations_problem(
    archive: zipfile.ZipFile, manifest: dict[str, Any], limits: ArtifactLimits
) -> str | None:
    """Whether the package's code, parsed, declares the manifest's id, controls and
    permissions (see the module docstring)."""
    package = manifest["package"]
    classes: list[tuple[str, ast.ClassDef]] = []
    for name in archive.namelist():
        if not (name.startswith(f"{package}/") and name.endswith(".py")):
            continue
        source = _read_bounded(archive, name, limits.member_bytes)
        if source is None:
            return f"{name!r} is larger than its header declares"
        try:
            tree = ast.parse(source, filename=name)
        except (SyntaxError, ValueError) as exc:
            return f"{name} does not parse: {exc}"
        classes += [
            (name, node)
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and _is_reactor_class(node)
        ]
    if len(classes) != 1:
        return f"expected exactly one @reactor class in the package's code, found {len(classes)}"
    where, node = classes[0]
    try:
        declared = _class_declarations(node)
    except _NotLiteral as exc:
        return (
            f"{where}: {node.name}.{exc.args[0] if exc.args else '?'} must be written as a "
            "literal (verification reads it without running the code)"
        )
    differ = [f for f in STATIC_FIELDS if _canonical(declared[f]) != _canonical(manifest[f])]
    if differ:
        return "the code declares other " + ", ".join(differ) + " than the manifest"
    return None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def artifact_static_problem(
    data: bytes, *, limits: ArtifactLimits = DEFAULT_LIMITS
) -> tuple[str | None, dict[str, Any]]:
    """Why ``data`` must be rejected without running it (or None), and its manifest when read."""
    if len(data) > limits.artifact_bytes:
        return f"the artifact is {len(data)} bytes (at most {limits.artifact_bytes})", {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            problem = zip_structure_problem(archive, limits)
            if problem:
                return problem, {}
            manifest = _manifest_read(archive, limits)
            if isinstance(manifest, str):
                return manifest, {}
            problem = _contents_problem(archive.namelist(), manifest["package"])
            problem = problem or code_declarations_problem(archive, manifest, limits)
            return problem, manifest
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError) as exc:
        return f"not a reactor artifact (unreadable zip: {exc})", {}
