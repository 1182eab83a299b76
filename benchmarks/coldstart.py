"""Cold start of the deployed packages: zip sizes, and handler import time against bare Django.

    .venv/bin/python benchmarks/coldstart.py [--runs 9] [--console-zip Z --workers-zip Z]

1. ``zappa package console`` and ``zappa package workers`` (from ``.venv-lambda``), unless zips
   are given; reports their sizes (boto3/botocore are not in them: the Lambda runtime has them).
2. Extracts each zip and, in fresh interpreters (``python -S``: only the stdlib, the package and
   boto3/botocore/s3transfer as the Lambda runtime provides them), alternately measures
   - the baseline: ``import django; django.setup()`` with the production settings;
   - the console handler: ``import handler; handler.LambdaHandler()`` (Zappa's Lambda entry
     point: loads the settings and builds the Django WSGI application, middleware included);
   - the workers: the import of every enabled worker handler module (or, while none is enabled,
     of ``ouroboros.models`` + ``ouroboros.aws``, what every worker handler imports).
3. Prints JSON: sizes, medians, the ratio handler / baseline, the acceptance checks
   (console zip <= 20 MB, ratio <= 1.5) and the slowest imports of the handler (``-X importtime``).

Secrets are not read from SSM here (dummy values in the environment): the SSM round trip of a real
cold start is network time, not import time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.functions import functions_all  # noqa: E402
from deploy.runtime_env import runtime_env_ensure, site_packages  # noqa: E402
from deploy.zappa_cli import zappa_package  # noqa: E402

MB = 1024 * 1024
LAMBDA_PROVIDED = ("boto3", "botocore", "s3transfer")
TIMER = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
BASELINE = "import django; django.setup()"
HANDLER = "import handler; handler.LambdaHandler()"


def _runtime_dir(work: Path) -> Path:
    """boto3 and friends, as the Lambda runtime provides them beside the package."""
    provided = work / "lambda-runtime"
    provided.mkdir()
    packages = site_packages(runtime_env_ensure(ROOT))
    for name in LAMBDA_PROVIDED:
        (provided / name).symlink_to(packages / name)
    return provided


def _environment(package: Path, provided: Path) -> dict[str, str]:
    settings = json.loads((ROOT / "zappa_settings.json").read_text())["console"]
    env = {k: v for k, v in settings["aws_environment_variables"].items() if "PARAMETER" not in k}
    env.update(
        {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": f"{package}:{provided}",
            "PYTHONDONTWRITEBYTECODE": "1",  # Lambda's /var/task is read-only
            "DJANGO_SECRET_KEY": "benchmark-secret-key-not-used-anywhere-else-0123456789",
            "DATABASE_URL": "postgres://ouroboros:unused@127.0.0.1:5432/ouroboros",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_LAMBDA_FUNCTION_NAME": "coldstart-benchmark",
        }
    )
    return env


def _time(
    code: str, package: Path, env: dict[str, str], *, importtime: bool = False
) -> float | str:
    flags = ["-S", "-X", "importtime"] if importtime else ["-S"]
    done = subprocess.run(
        [sys.executable, *flags, "-c", TIMER.format(code=code)],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{code!r} failed in {package}:\n{done.stderr[-3000:]}")
    return done.stderr if importtime else float(done.stdout.strip().splitlines()[-1])


def _slowest(importtime: str, count: int = 8) -> list[dict[str, object]]:
    rows = []
    for line in importtime.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        if not name.startswith(" "):
            rows.append({"module": name.strip(), "cumulative_ms": round(int(cumulative) / 1000, 1)})
    rows = [r for r in rows if "." not in str(r["module"])]
    return sorted(rows, key=lambda r: -float(str(r["cumulative_ms"])))[:count]


def _extract(zip_path: Path, into: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(into)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--console-zip", type=Path)
    parser.add_argument("--workers-zip", type=Path)
    args = parser.parse_args()
    build = ROOT / "build" / "benchmark"
    console_zip = args.console_zip or zappa_package("console", build / "console.zip")
    workers_zip = args.workers_zip or zappa_package("workers", build / "workers.zip")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        provided = _runtime_dir(work)
        console = _extract(console_zip, work / "console")
        workers = _extract(workers_zip, work / "workers")
        env = _environment(console, provided)
        worker_env = {**env, "PYTHONPATH": f"{workers}:{provided}"}
        modules = [s.module for s in functions_all() if s.package == "workers"]
        worker_code = "; ".join(
            f"import {m}" for m in modules or ["ouroboros.models", "ouroboros.aws"]
        )
        baseline, handler, worker = [], [], []
        for _ in range(args.runs):
            baseline.append(float(_time(BASELINE, console, env)))
            handler.append(float(_time(HANDLER, console, env)))
            worker.append(float(_time(worker_code, workers, worker_env)))
        slowest = _slowest(str(_time(HANDLER, console, env, importtime=True)))
    base, cold = statistics.median(baseline), statistics.median(handler)
    console_mb = console_zip.stat().st_size / MB
    names = zipfile.ZipFile(console_zip).namelist()
    result = {
        "runs": args.runs,
        "python": sys.version.split()[0],
        "console_zip_mb": round(console_mb, 2),
        "workers_zip_mb": round(workers_zip.stat().st_size / MB, 2),
        "boto3_in_console_zip": any(n.startswith(("boto3/", "botocore/")) for n in names),
        "django_setup_median_s": round(base, 4),
        "console_handler_median_s": round(cold, 4),
        "ratio_handler_to_django_setup": round(cold / base, 3),
        "workers_import": worker_code,
        "workers_import_median_s": round(statistics.median(worker), 4),
        "handler_slowest_top_level_imports": slowest,
        "acceptance": {
            "console_zip_at_most_20_mb": console_mb <= 20,
            "handler_at_most_1_5x_django_setup": cold / base <= 1.5,
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
