"""Import a reactor artifact alone, in a subprocess, and report what it declares.

Packaging and the Hub's verification both need to know that a zip works on its own, as it will
in Lambda: the subprocess runs ``python -I -S`` (no site-packages, no project on the path) with
only the zip and a folder holding what the Lambda python3.12 runtime provides (boto3, botocore
and their dependencies) on ``sys.path``. The SDK must come from inside the zip. It imports the
package and every module in it, then prints, for every registered reactor, its manifest fields,
its definition problems and whether the entry point is callable.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ouroboros.reactors.errors import ArtifactError

#: Top-level modules the Lambda python3.12 runtime provides besides the standard library.
LAMBDA_RUNTIME_MODULES = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
    "six",
    "urllib3",
)
TIMEOUT_SECONDS = 120

_SCRIPT = r"""
import importlib, json, pkgutil, sys, traceback
zip_path, runtime_dir, package = sys.argv[1:4]
sys.path[:0] = [zip_path, runtime_dir]
result = {"reactors": [], "errors": [], "sdk_file": ""}
try:
    import reactor_sdk
    result["sdk_file"] = reactor_sdk.__file__ or ""
    from reactor_sdk.registry import REACTORS
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(getattr(root, "__path__", []), package + "."):
        importlib.import_module(info.name)
    for cls in REACTORS.values():
        manifest = cls.describe()
        module_name, _, attr = manifest["entry_point"].rpartition(".")
        module = sys.modules.get(module_name)
        manifest["entry_point_callable"] = callable(getattr(module, attr, None))
        manifest["problems"] = cls.definition_problems()
        result["reactors"].append(manifest)
except BaseException as exc:
    result["errors"].append("".join(traceback.format_exception_only(type(exc), exc)).strip())
print(json.dumps(result))
"""

_runtime_lock = threading.Lock()
_runtime_dir: Path | None = None


@dataclass
class Introspection:
    """What importing a package alone revealed."""

    reactors: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sdk_file: str = ""


def lambda_runtime_dir() -> Path:
    """A folder with links to what the Lambda runtime provides (made once per process)."""
    global _runtime_dir
    with _runtime_lock:
        if _runtime_dir is not None and _runtime_dir.exists():
            return _runtime_dir
        folder = Path(tempfile.mkdtemp(prefix="ouroboros-lambda-runtime-"))
        atexit.register(shutil.rmtree, folder, True)
        for name in LAMBDA_RUNTIME_MODULES:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                continue
            origin = Path(spec.origin)
            source = origin.parent if origin.name == "__init__.py" else origin
            (folder / source.name).symlink_to(source)
        _runtime_dir = folder
        return folder


def package_introspect(zip_path: Path, *, package: str) -> Introspection:
    """Import ``package`` from ``zip_path`` alone (see the module docstring).

    Raises `ArtifactError` when the subprocess fails, times out, or answers nonsense; import
    errors of the package are reported in ``errors``, not raised.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    with tempfile.TemporaryDirectory(prefix="ouroboros-import-") as cwd:
        try:
            proc = subprocess.run(
                [
                    sys.executable,
                    "-I",
                    "-S",
                    "-c",
                    _SCRIPT,
                    str(zip_path),
                    str(lambda_runtime_dir()),
                    package,
                ],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                cwd=cwd,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ArtifactError(f"importing {package} took over {TIMEOUT_SECONDS} s") from exc
    lines = proc.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1])
    except (IndexError, ValueError) as exc:
        detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ArtifactError(f"importing {package} failed: {detail}") from exc
    result = Introspection(
        reactors=list(data.get("reactors", [])),
        errors=list(data.get("errors", [])),
        sdk_file=str(data.get("sdk_file", "")),
    )
    if not result.errors and not result.sdk_file.startswith(str(zip_path)):
        result.errors.append(f"the SDK was not loaded from the artifact ({result.sdk_file})")
    return result
