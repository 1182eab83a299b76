"""The runtime-only virtual environment Zappa packages from, and the console's prebuild step.

Zappa zips the site-packages of the virtual environment named by ``VIRTUAL_ENV``. The project's
``.venv`` holds the test and lint tools (moto, pytest, mypy, Zappa's own dependencies...), so
packaging it would ship them to Lambda. ``.venv-lambda`` holds only what runs there:

- the project's ``[project].dependencies`` from ``pyproject.toml`` (pinned) plus the PostgreSQL
  driver, resolved under ``requirements.lock`` as constraints;
- what Zappa's own request handler imports on Lambda (``zappa`` without its deploy-time
  dependencies, ``Werkzeug``, ``durationpy``).

`runtime_env_ensure` builds it into a temporary folder and renames it into place, so a failed
build never leaves half an environment; a stamp of the inputs makes a second call a no-op.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from ouroboros.errors import OuroborosError

ENV_DIR = ".venv-lambda"
STAMP = ".ouroboros-runtime-env"
#: Bump when the way the environment is built changes (forces a rebuild).
RECIPE = "2: hash-checked bytecode"
#: What Zappa's WSGI handler imports on Lambda (installed with --no-deps for zappa itself).
ZAPPA_RUNTIME = ("Werkzeug", "durationpy", "MarkupSafe")


class RuntimeEnvError(OuroborosError):
    """The runtime environment could not be built (pip failed, a pin is missing)."""


def project_root() -> Path:
    """The repository root (where ``pyproject.toml`` and ``zappa_settings.json`` live)."""
    return Path(__file__).resolve().parents[1]


def _pins(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_normal(name.split("[", 1)[0])] = version.strip()
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements(root: Path | None = None) -> tuple[list[str], list[str]]:
    """(requirements resolved under the lock, requirements installed without dependencies)."""
    root = root or project_root()
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    pins = _pins(root / "requirements.lock")
    wanted: list[str] = list(project["dependencies"])
    for name in ZAPPA_RUNTIME:
        if _normal(name) not in pins:
            raise RuntimeEnvError(f"{name} is not pinned in requirements.lock")
        wanted.append(f"{name}=={pins[_normal(name)]}")
    if "zappa" not in pins:
        raise RuntimeEnvError("zappa is not pinned in requirements.lock")
    return wanted, [f"zappa=={pins['zappa']}"]


def _stamp(root: Path) -> str:
    resolved, no_deps = runtime_requirements(root)
    text = "\n".join([RECIPE, *resolved, *no_deps, (root / "requirements.lock").read_text()])
    return hashlib.sha256(text.encode()).hexdigest()


def runtime_env_path(root: Path | None = None) -> Path:
    return (root or project_root()) / ENV_DIR


def runtime_env_ensure(root: Path | None = None, *, python: str | None = None) -> Path:
    """Build ``.venv-lambda`` unless it is already built from the current pins; its path."""
    root = root or project_root()
    target = runtime_env_path(root)
    stamp = _stamp(root)
    if (target / STAMP).is_file() and (target / STAMP).read_text() == stamp:
        return target
    # Two processes (parallel test workers, two packaging shells) build it once, one at a time.
    with (root / f"{ENV_DIR}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / STAMP).is_file() and (target / STAMP).read_text() == stamp:
            return target
        return _runtime_env_build(root, target, stamp, python)


def _runtime_env_build(root: Path, target: Path, stamp: str, python: str | None) -> Path:
    resolved, no_deps = runtime_requirements(root)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    python = python or str(getattr(sys, "_base_executable", None) or sys.executable)
    pip = [
        str(tmp / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    steps: list[list[str]] = [
        [python, "-m", "venv", str(tmp)],
        [*pip, "--constraint", str(root / "requirements.lock"), *resolved],
        [*pip, "--no-deps", *no_deps],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode:
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeEnvError(f"{' '.join(step[:4])}... failed:\n{done.stderr[-2000:]}")
    bytecode_compile(site_packages(tmp), python=str(tmp / "bin" / "python"))
    (tmp / STAMP).write_text(stamp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def site_packages(env: Path) -> Path:
    """The site-packages folder of a virtual environment."""
    found = sorted(env.glob("lib/python3*/site-packages"))
    if not found:
        raise RuntimeEnvError(f"{env} has no site-packages")
    return found[0]


def bytecode_compile(*folders: Path, python: str | None = None) -> None:
    """Compile ``folders`` to hash-checked bytecode (PEP 552).

    Zappa writes every zip entry with the date 1980-01-01, so on Lambda each source file looks
    older than its timestamp-based ``.pyc``: the cache is ignored and every cold start compiles
    every module it imports (and cannot save the result: the package is read-only). A
    hash-checked ``.pyc`` is valid whatever the file dates, and still rebuilt when a source
    changes, so it is safe in development too.
    """
    command = [
        python or sys.executable,
        "-m",
        "compileall",
        "-q",
        "--invalidation-mode",
        "checked-hash",
        *(str(f) for f in folders),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeEnvError(f"compileall failed:\n{(done.stdout + done.stderr)[-2000:]}")


def _project_packages() -> list[Path]:
    root = project_root()
    return [root / name for name in ("ouroboros", "console", "lambdas") if (root / name).is_dir()]


def prebuild_workers() -> None:
    """Zappa prebuild script of the workers: hash-checked bytecode of the project's packages."""
    bytecode_compile(*_project_packages())


def static_collect() -> None:
    """Zappa prebuild script of the console: hash-checked bytecode, then ``collectstatic``.

    ``collectstatic`` runs with the production storage, so the manifest matches.

    Runs in a child process (the core never imports Django). ``collectstatic`` reads no secret
    and no database, so it gets a throw-away key and database, and no SSM look-up happens.
    """
    bytecode_compile(*_project_packages())
    root = project_root()
    env: dict[str, str] = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "console.settings.production",
        "DJANGO_SECRET_KEY": "collectstatic-needs-no-secret",
        "DATABASE_URL": "sqlite:///:memory:",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "OUROBOROS_RUNTIME": "aws",
    }
    done = subprocess.run(
        [sys.executable, str(root / "manage.py"), "collectstatic", "--noinput", "--clear"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeEnvError(f"collectstatic failed:\n{done.stderr[-2000:]}")
