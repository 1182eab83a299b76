"""Running Zappa for a deployment side: package each stage once, deploy (or update) each function.

``zappa package console`` builds the console zip; ``zappa package workers`` builds the one zip all
worker functions share; then every function stage is deployed from its zip with
``zappa deploy <stage> -z <zip>`` (``zappa update`` when the function exists), so ten worker
functions cost one packaging. Zappa runs from the project's ``.venv`` with ``VIRTUAL_ENV``
pointing at the runtime-only ``.venv-lambda`` (what it zips). AWS endpoints and credentials come
from the environment, as for every other command.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from deploy.functions import functions_for
from deploy.naming import deployment_current, function_deployed
from deploy.runtime_env import project_root, runtime_env_ensure
from ouroboros.config import Role, get_config
from ouroboros.errors import OuroborosError

#: Held while ``zappa package`` runs (`zappa_package`); under ``build/`` (git-ignored).
PACKAGE_LOCK = Path("build") / ".zappa-package.lock"


class ZappaError(OuroborosError):
    """A Zappa command failed; the message ends with its output."""


@dataclass(frozen=True)
class ZappaResult:
    stage: str
    command: str
    output: str


def zappa_executable() -> str:
    """The ``zappa`` script of the running interpreter's environment."""
    return str(Path(sys.executable).parent / "zappa")


def zappa_run(args: list[str], *, settings_path: Path | None = None) -> str:
    """Run ``zappa <args>`` in the project root, packaging from ``.venv-lambda``; its output."""
    root = project_root()
    env = {**os.environ, "VIRTUAL_ENV": str(runtime_env_ensure(root)), "PYTHONUNBUFFERED": "1"}
    command = [zappa_executable(), *args]
    if settings_path is not None:
        command += ["-s", str(settings_path)]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    if done.returncode:
        raise ZappaError(f"zappa {' '.join(args)} failed ({done.returncode}):\n{output[-4000:]}")
    return output


def zappa_package(stage: str, output: Path, *, settings_path: Path | None = None) -> Path:
    """``zappa package <stage> -o <output>``; the zip's path.

    One packaging at a time per project (a file lock): the prebuild scripts write into the
    project itself (``staticfiles/``, ``__pycache__``), so two at once (parallel test workers, a
    benchmark) would clear each other's ``collectstatic`` output.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    output.unlink(missing_ok=True)
    runtime_env_ensure(project_root())  # before the lock: it has its own
    lock_path = project_root() / PACKAGE_LOCK
    lock_path.parent.mkdir(exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        zappa_run(["package", stage, "-o", str(output)], settings_path=settings_path)
    return output


def zappa_deploy_sides(
    sides: tuple[Role, ...],
    *,
    build_dir: Path,
    include_planned: bool = False,
    settings_path: Path | None = None,
) -> list[ZappaResult]:
    """Package each needed stage once, then deploy or update every function of ``sides``."""
    zips: dict[str, Path] = {}
    results = []
    for side in sides:
        deployment = deployment_current(side, region=get_config().region)
        for spec in functions_for(side, include_planned=include_planned):
            if spec.package not in zips:
                zips[spec.package] = zappa_package(
                    spec.package, build_dir / f"{spec.package}.zip", settings_path=settings_path
                )
            exists = function_deployed(deployment.function_arn(spec), deployment)
            command = "update" if exists else "deploy"
            output = zappa_run(
                [command, spec.key, "-z", str(zips[spec.package])], settings_path=settings_path
            )
            results.append(ZappaResult(spec.key, command, output))
    return results
