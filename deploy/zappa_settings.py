"""``zappa_settings.json`` as a function of the function list (`deploy.functions`) and of
``deploy.toml`` (`deploy.config_file`).

The committed file is what `zappa_settings_build` returns for the committed ``deploy.toml`` (a
test keeps them equal); ``python manage.py zappa_settings --write`` regenerates it after the file
changes. Choices:

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
- What differs between deployments comes from ``deploy.toml`` (`deploy.config_file`): the
  ExternalId, where the Hub is, webhook parameter names, trusted origins, products and accounts,
  and the console's VPC (``vpc_config``). A setting left out of the file is left out of the
  functions' environment, so the code's own default applies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deploy.config_file import WEBHOOK_CHANNELS, DeployConfig, deploy_config_override
from deploy.functions import PROJECT, FunctionSpec, functions_all, lambda_name
from deploy.signing import signing_key_alias

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
    # The console logs and counts through Powertools' logging and metrics (the core's workflow
    # modules it imports do): only the parts it never imports are left out.
    "./aws_lambda_powertools/event_handler",
    *(
        f"./aws_lambda_powertools/utilities/{name}"
        for name in (
            "auth_alpha",
            "batch",
            "circuit_breaker",
            "data_classes",
            "data_masking",
            "feature_flags",
            "idempotency",
            "kafka",
            "metadata",
            "parameters",
            "parser",
            "streaming",
            "validation",
        )
    ),
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
WEBHOOK_PARAMETERS = dict(WEBHOOK_CHANNELS.values())
#: The ticket webhook's URL parameter (`ouroboros.tickets`), read by Send Notification only.
TICKET_WEBHOOK_PARAMETER = ("OUROBOROS_TICKET_WEBHOOK_URL_PARAMETER", "ticket-webhook-url")


def _configured(config: DeployConfig, side: str) -> dict[str, str]:
    """The settings ``deploy.toml`` gives the functions of ``side`` (only those it sets)."""
    env = {
        "OUROBOROS_HUB_BUCKET": config.hub_bucket,
        "OUROBOROS_HUB_TABLE_PREFIX": config.hub_table_prefix,
        "OUROBOROS_HUB_STAGE": config.hub_stage,
        "OUROBOROS_HUB_REGION": config.hub_region,
    }
    if side == "consumer":
        env.update(
            {
                "OUROBOROS_EXTERNAL_ID": config.external_id,
                "OUROBOROS_HUB_ROLE_ARN": config.hub_role_arn,
                "OUROBOROS_HUB_EXTERNAL_ID": config.hub_external_id,
                "OUROBOROS_HUB_PUBLIC_KEY": config.hub_public_key,
                "OUROBOROS_TRUSTED_PRODUCT_ARNS": ",".join(config.trusted_product_arns),
                "OUROBOROS_ACCOUNT_SCOPE": ",".join(config.account_scope),
                # "off" is the default: delivered only when it says otherwise.
                "OUROBOROS_SECURITYHUB_V2": (
                    config.securityhub_v2 if config.securityhub_v2 != "off" else ""
                ),
                "OUROBOROS_TICKET_CONNECTOR_ID": config.ticket_connector_id,
                "OUROBOROS_CONSOLE_URL": config.console_url,
            }
        )
    else:
        env.update(
            {
                "OUROBOROS_HUB_CONSUMER_ACCOUNTS": ",".join(config.hub_consumer_accounts),
                "OUROBOROS_HUB_SIGNING_KEY_ID": config.hub_signing_key_id,
            }
        )
    return {name: value for name, value in env.items() if value}


def _environment(config: DeployConfig, side: str, spec: FunctionSpec | None) -> dict[str, str]:
    stage = config.stage
    if spec is not None and spec.key == "hub_import_probe":
        # The verifier's confinement runs the author's code: it gets no setting of the Hub.
        return {
            "OUROBOROS_STAGE": stage,
            "OUROBOROS_RUNTIME": "aws",
            "OUROBOROS_ROLE": side,
            "OUROBOROS_DATA_DIR": "/tmp/ouroboros",  # noqa: S108 - Lambda's writable path
        }
    env = {
        "OUROBOROS_STAGE": stage,
        "OUROBOROS_ROLE": side,
        "OUROBOROS_RUNTIME": "aws",
        "OUROBOROS_DATA_DIR": "/tmp/ouroboros",  # noqa: S108 - the only writable path on Lambda
        "OUROBOROS_STATE_MACHINE_NAME": f"{PROJECT}-{stage}-security-hub-finding-reactor",
        "OUROBOROS_NOTIFICATION_TOPIC_NAME": f"{PROJECT}-{stage}-notifications",
        # The installer must attach it to every reactor role (its own IAM policy demands it).
        "OUROBOROS_REACTOR_BOUNDARY_NAME": f"{PROJECT}-{stage}-reactor-boundary",
        **_configured(config, side),
    }
    if side == "hub":  # the verifier signs verdicts with the KMS key bootstrap creates
        env["OUROBOROS_HUB_SIGNING_KEY_ID"] = signing_key_alias(stage)
        # ... and imports artifacts in the permission-less probe function (its confinement)
        env["OUROBOROS_HUB_IMPORT_FUNCTION"] = lambda_name(stage, "hub_import_probe")
    if spec is not None and spec.trigger == "subscriber":
        env.update(config.webhook_parameters())
    if spec is not None and spec.key == "send_notification":  # it opens the tickets
        setting, name = TICKET_WEBHOOK_PARAMETER
        env[setting] = f"/{PROJECT}/{stage}/{name}"
    if spec is not None:
        env.update(spec.env)
    return env


def _base(config: DeployConfig, bucket: str) -> dict[str, Any]:
    return {
        "project_name": f"{PROJECT}-{config.stage}",
        "runtime": RUNTIME,
        "aws_region": config.region,
        "s3_bucket": bucket,
        "keep_warm": False,
        "manage_roles": False,
        "use_precompiled_packages": False,
        "log_level": "INFO",
        "exclude": list(EXCLUDE),
        "tags": {"project": PROJECT, "stage": config.stage},
    }


def _origin_host(origin: str) -> str:
    return origin.removeprefix("https://").split(":", 1)[0]


def _console(spec: FunctionSpec, config: DeployConfig, bucket: str) -> dict[str, Any]:
    stage, region = config.stage, config.region
    env = _environment(config, spec.side, spec)
    hosts = [f".execute-api.{region}.amazonaws.com"]
    hosts += [_origin_host(o) for o in config.trusted_origins]
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "console.settings.production",
            "DJANGO_SECRET_KEY_PARAMETER": f"/{PROJECT}/{stage}/django-secret-key",
            "DATABASE_URL_PARAMETER": f"/{PROJECT}/{stage}/database-url",
            "DJANGO_ALLOWED_HOSTS": ",".join(dict.fromkeys(hosts)),
        }
    )
    if config.export_bucket:  # findings exports (bootstrap creates it, `deploy.supporting`)
        env["OUROBOROS_EXPORT_BUCKET"] = config.export_bucket
    if config.trusted_origins:
        env["DJANGO_CSRF_TRUSTED_ORIGINS"] = ",".join(config.trusted_origins)
    settings = {
        **_base(config, bucket),
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
    if config.vpc:
        settings["vpc_config"] = {
            "SubnetIds": list(config.vpc_subnet_ids),
            "SecurityGroupIds": list(config.vpc_security_group_ids),
        }
    return settings


def _workers_base(config: DeployConfig, side: str, bucket: str) -> dict[str, Any]:
    return {
        **_base(config, bucket),
        "apigateway_enabled": False,
        "lambda_description": "Packaging base of the worker functions (deploy those, not this)",
        "exclude_glob": list(EXCLUDE_GLOB_WORKERS),
        "prebuild_script": "deploy.runtime_env.prebuild_workers",
        "aws_environment_variables": _environment(config, side, None),
    }


def _worker(spec: FunctionSpec, config: DeployConfig) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "extends": "workers",
        "lambda_handler": spec.handler,
        "role_name": spec.role_name(config.stage),
        "memory_size": spec.memory,
        "timeout_seconds": spec.timeout,
        "lambda_description": spec.description,
        "aws_environment_variables": _environment(config, spec.side, spec),
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
    config: DeployConfig | None = None,
    stage: str | None = None,
    region: str | None = None,
    bucket: str | None = None,
    include_planned: bool = False,
    touch: bool = True,
) -> dict[str, dict[str, Any]]:
    """The Zappa settings of every function (console stage, ``workers`` base, one per worker).

    ``config`` is what ``deploy.toml`` says (`deploy.config_file`; default: every default);
    ``stage``, ``region`` and ``bucket`` override it when given.
    """
    config = deploy_config_override(
        config or DeployConfig(), stage=stage, region=region, bucket=bucket
    )
    bucket = config.bucket or f"{PROJECT}-{config.stage}-zappa-{config.region}"
    settings: dict[str, dict[str, Any]] = {}
    specs = functions_all(include_planned=include_planned)
    for spec in specs:
        if spec.package == "console":
            settings[spec.key] = _console(spec, config, bucket)
    settings["workers"] = _workers_base(config, "consumer", bucket)
    for spec in specs:
        if spec.package == "workers":
            settings[spec.key] = _worker(spec, config)
    if not touch:
        for stage_settings in settings.values():
            stage_settings["touch"] = False
    return settings


def settings_dropped(
    current: dict[str, dict[str, Any]], generated: dict[str, dict[str, Any]]
) -> list[str]:
    """Keys of ``current`` (a ``zappa_settings.json`` on disk) that ``generated`` would drop:
    hand edits a ``--write`` would lose (``stage.key`` or ``stage.key.subkey``)."""
    dropped = []
    for stage, values in current.items():
        if stage not in generated:
            dropped.append(stage)
            continue
        for key, value in values.items():
            if key not in generated[stage]:
                dropped.append(f"{stage}.{key}")
            elif isinstance(value, dict) and isinstance(generated[stage][key], dict):
                dropped += [
                    f"{stage}.{key}.{sub}" for sub in value if sub not in generated[stage][key]
                ]
    return dropped


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
