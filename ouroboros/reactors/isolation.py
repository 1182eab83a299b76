"""Import a reactor artifact alone, in a subprocess, and report what it declares.

Packaging and the Hub's verification both need to know that a zip works on its own, as it will
in Lambda: the subprocess runs ``python -I -S`` (no site-packages, no project on the path) with
only the zip and a folder holding what the Lambda python3.12 runtime provides (boto3, botocore
and their dependencies) on ``sys.path``. The SDK must come from inside the zip. It imports the
package and every module in it, then prints, for every registered reactor, its manifest fields,
its definition problems and whether the entry point is callable.

Importing runs the author's code. Packaging runs it unconfined (the author builds their own
code). The Hub's verification passes ``confined=True``: the import then runs

- in new network, mount and PID namespaces (``unshare``): no network at all (not even
  loopback), a fresh ``/proc`` that shows no process of the runtime (no
  ``/proc/<parent>/environ``);
- with the data folder (`ouroboros.config.Config.data_dir`: the Django secret key, the console
  database, endpoints) and the runtime user's home (``~/.aws``) hidden under empty tmpfs mounts
  (the interpreter, the Lambda runtime libraries and the scratch folder are mounted back when
  they lie under one of them);
- as ``nobody`` (uid/gid 65534, no supplementary groups, ``no_new_privs``: no way back to root
  through setuid programs), so every owner-only file of the runtime is unreadable anyway;
- with an environment of ``HOME`` (a scratch folder owned by ``nobody``, also the working
  directory), ``AWS_DEFAULT_REGION`` and ``AWS_EC2_METADATA_DISABLED`` only: no credentials;
- under CPU, address-space, file-size, open-file and process limits, and a wall-clock timeout;
  its output goes to files (bounded by the file-size limit), never to unbounded pipes.

This needs root and ``unshare``/``mount`` (Linux). Where they are missing, a confined import is
refused (`ArtifactError` naming what is missing): verification never falls back to running the
author's code with the verifier's powers. In AWS the import belongs in a separate function
without credentials (not built yet, see SECURITY.md).
"""

from __future__ import annotations

import atexit
import base64
import importlib.util
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import OuroborosError
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
#: The unprivileged user and group a confined import runs as (``nobody``).
CONFINED_UID = 65534
CONFINED_GID = 65534
#: Resource limits of a confined import: (resource, soft = hard limit).
CONFINED_LIMITS = (
    (resource.RLIMIT_CPU, 60),
    (resource.RLIMIT_AS, 1024 * 1024 * 1024),
    (resource.RLIMIT_FSIZE, 16 * 1024 * 1024),
    (resource.RLIMIT_NOFILE, 256),
    (resource.RLIMIT_NPROC, 64),
    (resource.RLIMIT_CORE, 0),
)
#: Bytes of the import's output read back (its last line is the answer).
OUTPUT_CAP = 1024 * 1024
_UNSHARE_ARGS = ("--net", "--mount", "--pid", "--fork", "--mount-proc", "--propagation=private")

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

# Runs as root inside the new namespaces (trusted code, ours): hides the secret folders, then
# becomes nobody under limits and executes the import script. Argument: the JSON plan.
_LAUNCHER = r"""
import ctypes, json, os, resource, subprocess, sys
plan = json.loads(sys.argv[1])
os.umask(0o022)  # the runtime may run owner-only (umask 077): the folders made below must be
                 # traversable by nobody
def mount(*args):
    subprocess.run([plan["mount"], *args], check=True, stdin=subprocess.DEVNULL)
staged = []
for index, keep in enumerate(plan["keep"]):
    stage = os.path.join(plan["stage"], str(index))
    os.mkdir(stage) if os.path.isdir(keep) else open(stage, "w").close()
    mount("--bind", keep, stage)
    staged.append((stage, keep))
for hidden in plan["hide"]:
    mount("-t", "tmpfs", "-o", "mode=0755,size=1m,nosuid,nodev", "ouroboros-hidden", hidden)
for stage, keep in staged:
    if os.path.isdir(stage):
        os.makedirs(keep, exist_ok=True)
    elif not os.path.exists(keep):
        os.makedirs(os.path.dirname(keep), exist_ok=True)
        open(keep, "w").close()
    mount("--move", stage, keep)
for limit, value in plan["limits"]:
    resource.setrlimit(limit, (value, value))
os.setgroups([])
os.setgid(plan["gid"])
os.setuid(plan["uid"])
if ctypes.CDLL(None, use_errno=True).prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
    sys.exit("prctl(PR_SET_NO_NEW_PRIVS) failed")
os.chdir(plan["cwd"])
os.execve(plan["argv"][0], plan["argv"], plan["env"])
"""

_runtime_lock = threading.Lock()
_runtime_dir: Path | None = None
_confinement_lock = threading.Lock()
_confinement: list[str | None] = []


@dataclass
class Introspection:
    """What importing a package alone revealed."""

    reactors: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sdk_file: str = ""


def lambda_runtime_dir() -> Path:
    """A folder with links to what the Lambda runtime provides (made once per process;
    world-readable, as the confined import reads it as ``nobody``)."""
    global _runtime_dir
    with _runtime_lock:
        if _runtime_dir is not None and _runtime_dir.exists():
            return _runtime_dir
        folder = Path(tempfile.mkdtemp(prefix="ouroboros-lambda-runtime-"))
        folder.chmod(0o755)
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


def _confinement_probe() -> str | None:
    if not sys.platform.startswith("linux"):
        return f"confinement needs Linux namespaces (this is {sys.platform})"
    if os.geteuid() != 0:
        return "confinement needs root (to enter namespaces and become nobody)"
    for tool in ("unshare", "mount"):
        if shutil.which(tool) is None:
            return f"confinement needs {tool} (util-linux), not found on PATH"
    try:
        probe = subprocess.run(
            ["unshare", *_UNSHARE_ARGS, "true"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed: {exc}"
    if probe.returncode != 0:
        return f"unshare failed: {probe.stderr.strip() or probe.returncode}"
    return None


def confinement_problem() -> str | None:
    """Why a confined import cannot run on this machine, or None (probed once per process)."""
    with _confinement_lock:
        if not _confinement:
            _confinement.append(_confinement_probe())
        return _confinement[0]


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _untraversable_parents(path: Path) -> list[Path]:
    """The folders above ``path`` that other users may not traverse (no ``o+x``)."""
    return [p for p in path.parents if p.is_dir() and not p.stat().st_mode & stat.S_IXOTH]


def _plan(zip_path: Path, scratch: Path, stage: Path, package: str) -> dict[str, Any]:
    """What the launcher hides, keeps, limits and runs (see the module docstring)."""
    runtime = lambda_runtime_dir()
    python = Path(sys.executable).resolve()
    keep = {Path(sys.base_prefix).resolve(), python, runtime.resolve(), scratch.resolve()}
    keep |= {entry.resolve() for entry in runtime.iterdir()}
    try:
        home: Path | None = Path.home()
    except RuntimeError:  # no HOME and no passwd entry
        home = None
    # A folder holding the launcher's own staging area cannot be hidden (the uid still can't
    # read it when it is owner-only); neither can one that is itself needed.
    hide = {
        folder.resolve()
        for folder in (get_config().data_dir, home)
        if folder is not None and folder.exists()
    }
    # A kept path under a folder nobody may not traverse (``/root`` is 0700; HOME need not be
    # /root) would be unreachable after the uid change: hide that folder too, so the kept path
    # is mounted back into a world-traversable tmpfs.
    hide |= {blocker for k in keep for blocker in _untraversable_parents(k)}
    hide = {h for h in hide if not _under(stage.resolve(), h) and h not in keep}
    hide = {h for h in hide if not any(_under(h, o) and h != o for o in hide)}  # outermost
    outermost = {k for k in keep if not any(_under(k, o) and k != o for o in keep)}
    kept = sorted(k for k in outermost if any(_under(k, h) and k != h for h in hide))
    return {
        "mount": shutil.which("mount"),
        "stage": str(stage),
        "keep": [str(k) for k in kept],
        "hide": sorted(str(h) for h in hide),
        "limits": [list(limit) for limit in CONFINED_LIMITS],
        "uid": CONFINED_UID,
        "gid": CONFINED_GID,
        "cwd": str(scratch),
        "argv": [str(python), "-I", "-S", "-c", _SCRIPT, str(zip_path), str(runtime), package],
        "env": {
            "HOME": str(scratch),
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    }


def _run(command: list[str], *, cwd: Path, env: dict[str, str], out: Path, err: Path) -> int:
    """Run ``command`` with its output in files; kill its process group on timeout."""
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            return proc.wait(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise


def _tail(path: Path) -> str:
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - OUTPUT_CAP))
        return handle.read().decode(errors="replace")


def package_introspect(zip_path: Path, *, package: str, confined: bool = False) -> Introspection:
    """Import ``package`` from ``zip_path`` alone (see the module docstring); ``confined``:
    with nothing of the runtime in reach (`ArtifactError` when confinement is unavailable).

    Raises `ArtifactError` when the subprocess fails, times out, or answers nonsense; import
    errors of the package are reported in ``errors``, not raised.
    """
    if confined and (function := get_config().hub_import_function):
        return _introspect_remote(zip_path, package=package, function=function)
    if confined and (problem := confinement_problem()):
        raise ArtifactError(f"refusing to import {package} unconfined: {problem}")
    with tempfile.TemporaryDirectory(prefix="ouroboros-import-") as tmp:
        work = Path(tmp)
        scratch, stage = work / "scratch", work / "stage"
        scratch.mkdir()
        stage.mkdir()
        out, err = work / "stdout", work / "stderr"
        if confined:
            work.chmod(0o711)  # nobody reaches scratch/ only, by name
            child_zip = scratch / "artifact.zip"
            shutil.copyfile(zip_path, child_zip)
            for path in (scratch, child_zip):
                os.chown(path, CONFINED_UID, CONFINED_GID)
            plan = _plan(child_zip, scratch, stage, package)
            command = ["unshare", *_UNSHARE_ARGS, "--kill-child"]
            command += [sys.executable, "-I", "-S", "-c", _LAUNCHER, json.dumps(plan)]
            env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        else:
            child_zip = zip_path
            command = [sys.executable, "-I", "-S", "-c", _SCRIPT]
            command += [str(zip_path), str(lambda_runtime_dir()), package]
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "AWS_DEFAULT_REGION": "us-east-1",
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONHASHSEED": "0",
            }
        try:
            _run(command, cwd=scratch, env=env, out=out, err=err)
        except subprocess.TimeoutExpired as exc:
            raise ArtifactError(f"importing {package} took over {TIMEOUT_SECONDS} s") from exc
        stdout, stderr = _tail(out), _tail(err)
    lines = stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1])
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except (IndexError, ValueError) as exc:
        detail = (stderr.strip().splitlines() or ["no output"])[-1]
        raise ArtifactError(f"importing {package} failed: {detail}") from exc
    result = Introspection(
        reactors=list(data.get("reactors", [])),
        errors=list(data.get("errors", [])),
        sdk_file=str(data.get("sdk_file", "")),
    )
    if not result.errors and not result.sdk_file.startswith(str(child_zip)):
        result.errors.append(f"the SDK was not loaded from the artifact ({result.sdk_file})")
    return result


class ImportProbeUnavailableError(OuroborosError):
    """The import probe function could not be asked (throttled, missing, failed): the version
    stays pending and its stream record is retried; this is no verdict on the artifact."""


#: The largest artifact the import probe takes: a synchronous Lambda request is at most 6 MB and
#: the zip travels base64-encoded in it.
REMOTE_ARTIFACT_MAX = 4 * 1024 * 1024


#: The probe runs up to its own import timeout; botocore's default 60 s read timeout (and its
#: retries) would cut a slow import short and leave the version pending forever.
_PROBE_CLIENT = BotoConfig(
    read_timeout=TIMEOUT_SECONDS + 45, retries={"total_max_attempts": 1, "mode": "standard"}
)


def _introspect_remote(zip_path: Path, *, package: str, function: str) -> Introspection:
    """Import ``package`` in the Hub's import probe function (AWS): a Lambda function whose role
    grants nothing and whose environment holds no setting of the Hub, so the author's code runs
    with no power and no secret in reach (see ``lambdas/hub_import_probe.py``)."""
    data = zip_path.read_bytes()
    if len(data) > REMOTE_ARTIFACT_MAX:
        raise ArtifactError(
            f"the artifact is {len(data)} bytes; the import probe takes at most "
            f"{REMOTE_ARTIFACT_MAX} bytes"
        )
    payload = {"package": package, "artifact": base64.b64encode(data).decode("ascii")}
    try:
        response = client("lambda", config=_PROBE_CLIENT).invoke(
            FunctionName=function,
            InvocationType="RequestResponse",
            Payload=json.dumps(payload).encode(),
        )
        body = response["Payload"].read()
    except (BotoCoreError, ClientError) as exc:
        raise ImportProbeUnavailableError(f"the import probe {function}: {exc}") from exc
    if response.get("FunctionError"):
        raise ImportProbeUnavailableError(
            f"the import probe {function} failed: {body[:OUTPUT_CAP].decode(errors='replace')}"
        )
    try:
        found = json.loads(body)
        if not isinstance(found, dict):
            raise ValueError("not an object")
        return Introspection(
            reactors=[dict(r) for r in found.get("reactors", [])],
            errors=[str(e) for e in found.get("errors", [])],
            sdk_file=str(found.get("sdk_file", "")),
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise ArtifactError(f"importing {package} failed: the import probe answered {exc}") from exc
