"""The runtime-only virtual environment Zappa packages from, and the console's prebuild step.

Zappa zips the site-packages of the virtual environment named by ``VIRTUAL_ENV``. The project's
``.venv`` holds the test and lint tools (moto, pytest, mypy, Zappa's own dependencies...), so
packaging it would ship them to Lambda. ``.venv-lambda`` holds only what runs there:

- the project's ``[project].dependencies`` from ``pyproject.toml`` (pinned) plus the PostgreSQL
  driver, resolved under ``requirements.lock`` as constraints;
- what Zappa's own request handler imports on Lambda (``zappa`` without its deploy-time
  dependencies, ``Werkzeug``, ``durationpy``).

The wheels are those of the Lambda runtime whatever machine builds it (`LAMBDA_PLATFORM`:
manylinux2014 x86_64, CPython 3.12, wheels only), installed by the build interpreter's pip with
``--target`` into the environment's site-packages (the environment itself has no pip). Then:

- what never runs on Lambda is pruned (`prune`): source maps, pip's ``RECORD`` files, type
  stubs, test suites, Zappa's command line, Django's driverless database backends and
  non-English locale formats, Powertools' Swagger UI, and the ``static`` folders of installed
  apps, which ``collectstatic`` copies into the package's ``staticfiles/`` at build time (the
  copy WhiteNoise serves), so each asset ships once and the workers ship none;
- native libraries lose the symbols and debug information only debuggers read (`native_strip`);
- bytecode is recompiled, forced (`bytecode_compile`): pip's timestamp-based ``.pyc`` files are
  stale on Lambda (see there), and ``compileall`` without ``-f`` would keep them.

`runtime_env_ensure` builds it into a temporary folder and renames it into place, so a failed
build never leaves half an environment; a stamp of the inputs makes a second call a no-op.
``make package`` calls it.
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
RECIPE = "8: pinned platform, pruned, stripped, forced bytecode"
#: What Zappa's WSGI handler imports on Lambda (installed with --no-deps for zappa itself).
ZAPPA_RUNTIME = ("Werkzeug", "durationpy", "MarkupSafe")
#: The Lambda runtime (python3.12, x86_64; its glibc accepts manylinux2014 wheels). ``--platform``
#: makes pip pick wheels for it on any build machine (macOS, arm64), and forbids building from
#: source there (which would compile for the build machine).
LAMBDA_PLATFORM = (
    "--platform",
    "manylinux2014_x86_64",
    "--only-binary=:all:",
    "--python-version",
    "3.12",
    "--implementation",
    "cp",
)
#: Never read on Lambda (`prune`): browser developer tools are the only readers of source maps,
#: pip the only reader of the installed-files lists (``RECORD``: pip uninstall), type checkers
#: the only readers of stubs.
PRUNED_FILES = ("*.map", "*.dist-info/RECORD", "*.pyi")
#: Parts of Django that cannot run there (`prune`): the database backends whose drivers are not
#: installed (only PostgreSQL's and SQLite's are), and the locale format modules other than
#: English: Django imports those of the active language only, which is always ``LANGUAGE_CODE``
#: (``en-us``) as ``USE_I18N`` is False (the translations themselves are not shipped either).
DJANGO_UNUSED = ("django/db/backends/mysql", "django/db/backends/oracle")
DJANGO_LOCALE = "django/conf/locale"
DJANGO_LOCALE_KEPT = ("en",)
#: Powertools' own copy of the Swagger UI (`prune`), for its REST event handler's
#: ``enable_swagger()``, which no function uses (the console's API docs use the sidecar's).
POWERTOOLS_SWAGGER_UI = "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui*"
#: Zappa's deploy-time modules (`prune`): its command line runs from the project's ``.venv``; on
#: Lambda only its handler runs (``handler``, ``wsgi``, ``utilities``, ``middleware``...), which
#: never imports these.
ZAPPA_DEPLOY_TIME = ("cli", "core", "letsencrypt", "policies")
#: Static files of installed apps the console never links (``collectstatic --ignore``, full paths):
#: - ReDoc: the API docs are the Swagger UI (``console/api/docs.py``), there is no ReDoc view;
#: - DRF's browsable API (Bootstrap, jQuery, fonts): the API renders JSON only;
#: - the unminified copies of the admin's vendored scripts: without DEBUG it links ``.min.js``.
STATIC_NOT_SERVED = (
    "drf_spectacular_sidecar/redoc/*",
    "rest_framework/*",
    "admin/js/vendor/jquery/jquery.js",
    "admin/js/vendor/select2/select2.full.js",
    "admin/js/vendor/xregexp/xregexp.js",
)


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
    if sys.version_info[:2] != (3, 12):
        raise RuntimeEnvError(f"build with Python 3.12 (the Lambda runtime), not {sys.version}")
    resolved, no_deps = runtime_requirements(root)
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    python = python or str(getattr(sys, "_base_executable", None) or sys.executable)
    try:
        _run([python, "-m", "venv", "--without-pip", str(tmp)])
        packages = site_packages(tmp)
        _run(pip_install_command(packages, resolved, constraint=root / "requirements.lock"))
        _run(pip_install_command(packages, no_deps, no_deps=True))
        shutil.rmtree(packages / "bin", ignore_errors=True)  # console scripts: never run there
        prune(packages)
        native_strip(packages)
        bytecode_compile(packages, python=str(tmp / "bin" / "python"))
    except RuntimeEnvError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    (tmp / STAMP).write_text(stamp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        shown = " ".join(command[:6])
        raise RuntimeEnvError(f"{shown}... failed:\n{(done.stdout + done.stderr)[-2000:]}")


def pip_install_command(
    target: Path, requirements: list[str], *, constraint: Path | None = None, no_deps: bool = False
) -> list[str]:
    """The pip command installing ``requirements`` into ``target`` for the Lambda platform.

    pip runs from the build interpreter; platform options require ``--target``. Bytecode is left
    to `bytecode_compile` (``--no-compile``).
    """
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        *LAMBDA_PLATFORM,
    ]
    if constraint is not None:
        command += ["--constraint", str(constraint)]
    if no_deps:
        command.append("--no-deps")
    return [*command, *requirements]


def prune(packages: Path) -> list[Path]:
    """Delete from ``packages`` what never runs on Lambda; what was deleted.

    - `PRUNED_FILES` (source maps, pip's installed-files lists, type stubs);
    - Powertools' copy of the Swagger UI (`POWERTOOLS_SWAGGER_UI`);
    - Zappa's deploy-time modules (`ZAPPA_DEPLOY_TIME`);
    - Django's database backends without a driver and its non-English locale formats
      (`DJANGO_UNUSED`, `DJANGO_LOCALE_KEPT`);
    - the test suites some packages ship (``<package>/tests``: jsonschema, referencing);
    - every folder named ``static`` holding no Python module: the assets of installed Django apps
      (admin, DRF, the Swagger UI / ReDoc sidecar). The console ships them once, collected
      into ``staticfiles/`` by `static_collect` (from the build environment, which keeps them);
      WhiteNoise serves only that copy, and the workers need none.
    """
    zappa, locale = packages / "zappa", packages / DJANGO_LOCALE
    folders = [zappa / name for name in ZAPPA_DEPLOY_TIME]
    folders += [packages / name for name in DJANGO_UNUSED]
    folders += [f for f in locale.glob("*") if f.name not in {*DJANGO_LOCALE_KEPT, "__pycache__"}]
    folders += packages.glob("*/tests")
    folders += [f for f in packages.rglob("static") if f.is_dir() and not any(f.rglob("*.py"))]
    files = [zappa / f"{name}.py" for name in ZAPPA_DEPLOY_TIME]
    files += packages.glob(POWERTOOLS_SWAGGER_UI)
    for pattern in PRUNED_FILES:
        files += packages.rglob(pattern)
    removed: list[Path] = []
    for folder in sorted(set(folders)):
        if folder.is_dir():  # not when inside a folder already removed
            shutil.rmtree(folder)
            removed.append(folder)
    for path in sorted(set(files)):
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed


def native_strip(packages: Path) -> list[Path]:
    """Strip what native libraries carry for debuggers only; the files stripped.

    What ``strip --strip-unneeded`` removes is for debuggers and static linkers (a Python
    extension is loaded through its dynamic symbols, which stay): the Rust bindings of
    ``cryptography`` and PyYAML's C extension ship with them (~1.1 MB of the console's zip).
    Best effort: where ``strip`` is missing or cannot read ELF (Apple's ``strip`` on macOS), a
    file is left as it is (GNU ``strip`` leaves a file untouched when it fails).
    """
    strip = shutil.which("strip")
    if strip is None:
        return []
    stripped = []
    for path in sorted(packages.rglob("*.so*")):
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as head:
            if head.read(4) != b"\x7fELF":
                continue
        done = subprocess.run(
            [strip, "--strip-unneeded", str(path)], capture_output=True, check=False
        )
        if done.returncode == 0:
            stripped.append(path)
    return stripped


def site_packages(env: Path) -> Path:
    """The site-packages folder of a virtual environment."""
    found = sorted(env.glob("lib/python3*/site-packages"))
    if not found:
        raise RuntimeEnvError(f"{env} has no site-packages")
    return found[0]


def bytecode_compile(*folders: Path, python: str | None = None) -> None:
    """Compile ``folders`` to hash-checked bytecode (PEP 552), replacing any ``.pyc`` there.

    Zappa writes every zip entry with the date 1980-01-01, so on Lambda each source file looks
    older than its timestamp-based ``.pyc``: the cache is ignored and every cold start compiles
    every module it imports (and cannot save the result: the package is read-only). A
    hash-checked ``.pyc`` is valid whatever the file dates, and still rebuilt when a source
    changes, so it is safe in development too. Forced (``-f``): without it ``compileall`` keeps
    any ``.pyc`` whose recorded timestamp matches its source (what pip and every import write),
    and those are exactly the ones that go stale in the zip.
    """
    command = [
        python or sys.executable,
        "-m",
        "compileall",
        "-q",
        "-f",
        "-j",
        "0",
        "--invalidation-mode",
        "checked-hash",
        *(str(f) for f in folders),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeEnvError(f"compileall failed:\n{(done.stdout + done.stderr)[-2000:]}")


def _project_packages() -> list[Path]:
    root = project_root()
    # Every package of the project a zip carries (the SDK too: the console and the workers
    # import it). Any ``.pyc`` left there by a test run or a local run is timestamp-based.
    names = ("ouroboros", "console", "lambdas", "reactor_sdk")
    return [root / name for name in names if (root / name).is_dir()]


def prebuild_workers() -> None:
    """Zappa prebuild script of the workers: hash-checked bytecode of the project's packages."""
    bytecode_compile(*_project_packages())


def static_collect() -> None:
    """Zappa prebuild script of the console: hash-checked bytecode, then ``collectstatic``.

    ``collectstatic`` runs with the production storage, so the manifest matches, and leaves
    out `STATIC_NOT_SERVED`.

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
        [
            sys.executable,
            str(root / "manage.py"),
            "collectstatic",
            "--noinput",
            "--clear",
            *(f"--ignore={pattern}" for pattern in STATIC_NOT_SERVED),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeEnvError(f"collectstatic failed:\n{done.stderr[-2000:]}")
