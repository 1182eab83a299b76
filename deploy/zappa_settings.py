"""``zappa_settings.json`` as a function of the function list (`deploy.functions`).

The committed file is what `zappa_settings_build` returns for the defaults (a test keeps them
equal); ``python manage.py zappa_settings --stage S --region R --bucket B`` writes it for another
environment. Choices:

- Packaged from the runtime-only environment ``.venv-lambda`` (`deploy.runtime_env`),
  built on Linux x86_64 with CPython 3.12 like the Lambda runtime, so Zappa's manylinux wheel
  download (``use_precompiled_packages``) is off: the wheels installed are already the right ones.
- ``exclude`` holds only names that mean the same thing wherever they occur: boto3, botocore and
  s3transfer (the Lambda runtime provides them), and folders that never occur inside a package
  (``.venv``, ``node_modules``; a test walks the runtime environment to prove it). Everything else
  is an ``exclude_glob`` on a path from the package root, because a plain ``exclude`` of ``tests``
  or ``local`` would also strip same-named folders inside installed packages.
- Translations (``*.po``, ``*.mo``) are left out: the console runs with ``USE_I18N = False``.
- The console serves its static files from the package with WhiteNoise; the prebuild script
  runs ``collectstatic`` (with the production storage, so the manifest matches) before packaging.
- Bytecode is compiled hash-checked (PEP 552) before packaging, in ``.venv-lambda`` and in the
  project: Zappa dates every zip entry 1980-01-01, which makes timestamp-based ``.pyc`` files
  stale on Lambda, so without this every cold start would compile every module it imports.
- Worker functions run our handlers directly (``lambda_handler``), without Django, so their package
  leaves Django, DRF and the PostgreSQL driver out.
- Roles are created by bootstrap (``manage_roles: false`` + ``role_name``), least privilege per
  function; Zappa never creates a broad execution role.
- Environment variables go to ``aws_environment_variables`` (the function's own environment):
  worker functions do not run Zappa's handler, which is what applies ``environment_variables``.
  They hold names, never secrets: the Django secret key is read from SSM Parameter Store, and
  the notification subscriber gets the names of the SSM parameters holding the chat webhook
  URLs (`WEBHOOK_PARAMETERS`: the operator creates those of the channels in use).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deploy.functions import PROJECT, FunctionSpec, functions_all

SETTINGS_FILE = "zappa_settings.json"
RUNTIME = "python3.12"

#: Safe as plain names anywhere (see the module docstring).
EXCLUDE = ["boto3", "botocore", "s3transfer", ".venv", "node_modules"]

#: Project paths neither package needs.
EXCLUDE_GLOB_COMMON = [
    "./.local",
    "./.mypy_cache",
    "./.ruff_cache",
    "./.pytest_cache",
    "./.ci",
    "./tests",
    "./benchmarks",
    "./build",
    "./test-artifacts",
    "./emulator",
    "./deploy",
    "./**/*.po",
    "./**/*.mo",
]
EXCLUDE_GLOB_CONSOLE = [
    *EXCLUDE_GLOB_COMMON,
    "./lambdas",
    "./aws_lambda_powertools",
    "./django/contrib/gis",  # not an installed app
]
#: The workers never import Django (the rings test keeps lambdas/ and ouroboros/ free of it).
WORKERS_WITHOUT = [
    "console",
    "staticfiles",
    "django",
    "rest_framework",
    "drf_spectacular",
    "whitenoise",
    "storages",
    "psycopg",
    "psycopg_binary",
    "psycopg_binary.libs",
]
EXCLUDE_GLOB_WORKERS = [*EXCLUDE_GLOB_COMMON, *(f"./{name}" for name in WORKERS_WITHOUT)]

#: Setting (`ouroboros.config`) -> SSM parameter under ``/ouroboros/<stage>/`` holding a
#: notification channel's webhook URL (a secret: functions carry the parameter's name only).
WEBHOOK_PARAMETERS = {
    "OUROBOROS_WECHAT_WEBHOOK_URL_PARAMETER": "wechat-webhook-url",
    "OUROBOROS_SLACK_WEBHOOK_URL_PARAMETER": "slack-webhook-url",
    "OUROBOROS_WEBHOOK_URL_PARAMETER": "webhook-url",
}


def _environment(stage: str, side: str, spec: FunctionSpec | None) -> dict[str, str]:
    env = {
        "OUROBOROS_STAGE": stage,
        "OUROBOROS_ROLE": side,
        "OUROBOROS_RUNTIME": "aws",
        "OUROBOROS_DATA_DIR": "/tmp/ouroboros",  # noqa: S108 - the only writable path on Lambda
        "OUROBOROS_STATE_MACHINE_NAME": f"{PROJECT}-{stage}-security-hub-finding-reactor",
        "OUROBOROS_NOTIFICATION_TOPIC_NAME": f"{PROJECT}-{stage}-notifications",
        # The installer must attach it to every reactor role (its own IAM policy demands it).
        "OUROBOROS_REACTOR_BOUNDARY_NAME": f"{PROJECT}-{stage}-reactor-boundary",
    }
    if spec is not None and spec.trigger == "subscriber":
        env.update({name: f"/{PROJECT}/{stage}/{p}" for name, p in WEBHOOK_PARAMETERS.items()})
    if spec is not None:
        env.update(spec.env)
    return env


def _base(stage: str, region: str, bucket: str) -> dict[str, Any]:
    return {
        "project_name": f"{PROJECT}-{stage}",
        "runtime": RUNTIME,
        "aws_region": region,
        "s3_bucket": bucket,
        "keep_warm": False,
        "manage_roles": False,
        "use_precompiled_packages": False,
        "log_level": "INFO",
        "exclude": list(EXCLUDE),
        "tags": {"project": PROJECT, "stage": stage},
    }


def _console(spec: FunctionSpec, stage: str, region: str, bucket: str) -> dict[str, Any]:
    env = _environment(stage, spec.side, spec)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "console.settings.production",
            "DJANGO_SECRET_KEY_PARAMETER": f"/{PROJECT}/{stage}/django-secret-key",
            "DATABASE_URL_PARAMETER": f"/{PROJECT}/{stage}/database-url",
            "DJANGO_ALLOWED_HOSTS": f".execute-api.{region}.amazonaws.com",
        }
    )
    return {
        **_base(stage, region, bucket),
        "django_settings": "console.settings.production",
        "apigateway_enabled": True,
        "role_name": spec.role_name(stage),
        "memory_size": spec.memory,
        "timeout_seconds": spec.timeout,
        "lambda_description": spec.description,
        "exclude_glob": list(EXCLUDE_GLOB_CONSOLE),
        "prebuild_script": "deploy.runtime_env.static_collect",
        "aws_environment_variables": env,
    }


def _workers_base(stage: str, side: str, region: str, bucket: str) -> dict[str, Any]:
    return {
        **_base(stage, region, bucket),
        "apigateway_enabled": False,
        "lambda_description": "Packaging base of the worker functions (deploy those, not this)",
        "exclude_glob": list(EXCLUDE_GLOB_WORKERS),
        "prebuild_script": "deploy.runtime_env.prebuild_workers",
        "aws_environment_variables": _environment(stage, side, None),
    }


def _worker(spec: FunctionSpec, stage: str) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "extends": "workers",
        "lambda_handler": spec.handler,
        "role_name": spec.role_name(stage),
        "memory_size": spec.memory,
        "timeout_seconds": spec.timeout,
        "lambda_description": spec.description,
        "aws_environment_variables": _environment(stage, spec.side, spec),
    }
    if spec.trigger == "schedule" and spec.schedule:
        settings["events"] = [
            {
                "name": spec.key.replace("_", "-"),
                "function": spec.handler,
                "expression": spec.schedule,
                "description": spec.description,
            }
        ]
    return settings


def zappa_settings_build(
    *,
    stage: str = "prod",
    region: str = "us-east-1",
    bucket: str = "",
    include_planned: bool = False,
    touch: bool = True,
) -> dict[str, dict[str, Any]]:
    """The Zappa settings of every function (console stage, ``workers`` base, one per worker)."""
    bucket = bucket or f"{PROJECT}-{stage}-zappa-{region}"
    settings: dict[str, dict[str, Any]] = {}
    specs = functions_all(include_planned=include_planned)
    for spec in specs:
        if spec.package == "console":
            settings[spec.key] = _console(spec, stage, region, bucket)
    settings["workers"] = _workers_base(stage, "consumer", region, bucket)
    for spec in specs:
        if spec.package == "workers":
            settings[spec.key] = _worker(spec, stage)
    if not touch:
        for stage_settings in settings.values():
            stage_settings["touch"] = False
    return settings


def zappa_settings_write(settings: dict[str, dict[str, Any]], path: Path) -> Path:
    """Write ``settings`` as JSON (sorted keys, two-space indent), atomically."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def zappa_settings_read(path: Path) -> dict[str, dict[str, Any]]:
    """The settings in ``path``."""
    data: dict[str, dict[str, Any]] = json.loads(path.read_text())
    return data
