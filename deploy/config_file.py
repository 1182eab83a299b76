"""``deploy.toml``: one deployment's configuration, as code (read with `tomllib`).

``python manage.py zappa_settings --write`` turns this file into ``zappa_settings.json``
(`deploy.zappa_settings`): the file is the source, so a value set here is never lost by the next
``--write``, and a value put by hand into ``zappa_settings.json`` is (the command refuses to drop
one; move it here). Keys (every one optional; unknown keys are refused, so a typo is an error):

- ``stage`` (``prod``), ``region`` (``us-east-1``), ``bucket`` (Zappa's package bucket; default
  ``ouroboros-<stage>-zappa-<region>``);
- ``external_id``: the ExternalId every member role requires (`deploy.member_role`). Delivered
  as ``OUROBOROS_EXTERNAL_ID``. It is not a secret (AWS's confused-deputy guidance: it only has
  to be unique per consumer; the installer already hands it to every reactor's environment),
  so it is a value here, not a parameter;
- ``trusted_origins``: ``https://`` origins of a custom domain (``DJANGO_CSRF_TRUSTED_ORIGINS``;
  their hosts are also added to ``DJANGO_ALLOWED_HOSTS``);
- ``trusted_product_arns``, ``account_scope``: ``OUROBOROS_TRUSTED_PRODUCT_ARNS`` and
  ``OUROBOROS_ACCOUNT_SCOPE`` (`ouroboros.config`);
- ``export_bucket``: the console's bucket of findings exports, as ``bootstrap --role consumer``
  creates and prints it (``ouroboros-<stage>-exports-<account>``); delivered as
  ``OUROBOROS_EXPORT_BUCKET`` (bootstrap refuses another name). Without it, exports are refused
  on AWS (a Lambda's disk is neither kept nor shared);
- ``securityhub_v2``: ``off`` (default), ``on`` or ``only``: the new AWS Security Hub's OCSF
  findings and V2 APIs (``OUROBOROS_SECURITYHUB_V2``, `ouroboros.config`);
- ``ticket_connector_id``: the new Security Hub's connector (Jira Cloud, ServiceNow) tickets are
  opened through (``OUROBOROS_TICKET_CONNECTOR_ID``, `ouroboros.tickets`); without it, tickets go
  to the ticket webhook (the SSM parameter ``/ouroboros/<stage>/ticket-webhook-url``);
- ``console_url``: where the console is served (``https://<API Gateway or custom
  domain>[/<stage>]``, as ``zappa deploy`` prints it); delivered as ``OUROBOROS_CONSOLE_URL``
  so tickets and chat notifications link the execution's page (without it: the path only);
- ``[hub]``: where the Hub is, as ``bootstrap --role hub`` prints it. Both sides: ``bucket``,
  ``table_prefix``, ``stage``, ``region`` (``OUROBOROS_HUB_BUCKET``, ``_TABLE_PREFIX``,
  ``_STAGE``, ``_REGION``); the consumer: ``role_arn``, ``external_id``, ``public_key``
  (``OUROBOROS_HUB_ROLE_ARN``, ``_EXTERNAL_ID``, ``_PUBLIC_KEY``: a public key, not a secret); the
  Hub: ``consumer_accounts``, ``signing_key_id`` (``OUROBOROS_HUB_CONSUMER_ACCOUNTS``,
  ``_SIGNING_KEY_ID``, a KMS key id, not key material). `ouroboros.config` documents each;
- ``[webhooks]`` ``wechat``, ``slack``, ``webhook``: the *names* of the SSM parameters holding the
  chat webhook URLs, under ``/ouroboros/<stage>/`` (the only path the functions may read).
  Without the table, the three default names are delivered. A URL here is refused: secrets go to
  Parameter Store, never into this file or the function's configuration;
- ``[vpc]`` ``subnet_ids``, ``security_group_ids``: the console joins this VPC (to reach a private
  PostgreSQL); bootstrap then grants its role the ENI permissions Lambda needs.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ouroboros.config import SECURITYHUB_V2_MODES
from ouroboros.errors import OuroborosError
from ouroboros.reactors.verdict import VerdictError, public_key_load

CONFIG_FILE = "deploy.toml"

#: Channel in ``[webhooks]`` -> the setting holding its parameter name, and the default name.
WEBHOOK_CHANNELS: dict[str, tuple[str, str]] = {
    "wechat": ("OUROBOROS_WECHAT_WEBHOOK_URL_PARAMETER", "wechat-webhook-url"),
    "slack": ("OUROBOROS_SLACK_WEBHOOK_URL_PARAMETER", "slack-webhook-url"),
    "webhook": ("OUROBOROS_WEBHOOK_URL_PARAMETER", "webhook-url"),
}

_IDENTIFIER = re.compile(r"[A-Za-z0-9-]+")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_ACCOUNT = re.compile(r"\d{12}")
_ROLE_ARN = re.compile(r"arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
_PRODUCT_ARN = re.compile(r"arn:aws(-[a-z]+)*:securityhub:[a-z0-9-]+:\d{0,12}:product/\S+")
_ORIGIN = re.compile(r"https://[a-z0-9.-]+(:\d{1,5})?")
_SUBNET = re.compile(r"subnet-[0-9a-f]{8,17}")
_SECURITY_GROUP = re.compile(r"sg-[0-9a-f]{8,17}")
_PARAMETER = re.compile(r"/[A-Za-z0-9_.\-/]+")
_CONNECTOR = re.compile(r"[A-Za-z0-9_-]{1,128}")
_CONSOLE_URL = re.compile(r"https://[A-Za-z0-9.-]+(:\d{1,5})?(/[\w./-]*)?")


class DeployConfigError(OuroborosError):
    """``deploy.toml`` (or an option) holds a value that cannot be deployed; says which and why."""


@dataclass(frozen=True)
class DeployConfig:
    """What one deployment's generated Zappa settings are made of."""

    stage: str = "prod"
    region: str = "us-east-1"
    bucket: str = ""
    external_id: str = ""
    trusted_origins: tuple[str, ...] = ()
    trusted_product_arns: tuple[str, ...] = ()
    account_scope: tuple[str, ...] = ()
    securityhub_v2: str = "off"
    ticket_connector_id: str = ""
    console_url: str = ""
    export_bucket: str = ""
    hub_role_arn: str = ""
    hub_bucket: str = ""
    hub_table_prefix: str = ""
    hub_stage: str = ""
    hub_region: str = ""
    hub_external_id: str = ""
    hub_public_key: str = ""
    hub_consumer_accounts: tuple[str, ...] = ()
    hub_signing_key_id: str = ""
    #: channel -> SSM parameter name; None: the default name of every channel.
    webhooks: dict[str, str] | None = field(default=None)
    vpc_subnet_ids: tuple[str, ...] = ()
    vpc_security_group_ids: tuple[str, ...] = ()

    @property
    def vpc(self) -> bool:
        return bool(self.vpc_subnet_ids)

    def webhook_parameters(self) -> dict[str, str]:
        """Setting (``OUROBOROS_*_WEBHOOK_URL_PARAMETER``) -> SSM parameter name."""
        if self.webhooks is None:
            return {
                setting: f"/ouroboros/{self.stage}/{name}"
                for setting, name in WEBHOOK_CHANNELS.values()
            }
        return {WEBHOOK_CHANNELS[channel][0]: name for channel, name in self.webhooks.items()}


_TOP = {
    "stage",
    "region",
    "bucket",
    "external_id",
    "trusted_origins",
    "trusted_product_arns",
    "account_scope",
    "securityhub_v2",
    "ticket_connector_id",
    "console_url",
    "export_bucket",
    "hub",
    "webhooks",
    "vpc",
}
_HUB = {
    "role_arn",
    "bucket",
    "table_prefix",
    "stage",
    "region",
    "external_id",
    "public_key",
    "consumer_accounts",
    "signing_key_id",
}
_VPC = {"subnet_ids", "security_group_ids"}


def _string(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise DeployConfigError(f"{where}: expected a string, got {value!r}")
    return value.strip()


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # "a,b" as options give it
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list):
        raise DeployConfigError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(dict.fromkeys(_string(where, v) for v in value))


def _matching(where: str, values: tuple[str, ...], pattern: re.Pattern[str], what: str) -> None:
    for value in values:
        if not pattern.fullmatch(value):
            raise DeployConfigError(f"{where}: {value!r} is not {what}")


def _unknown(where: str, table: dict[str, Any], known: set[str]) -> None:
    extra = sorted(set(table) - known)
    if extra:
        raise DeployConfigError(
            f"{where}: unknown key(s) {', '.join(extra)}; known: {', '.join(sorted(known))}"
        )


def _table(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DeployConfigError(f"{where}: expected a table ([{where}])")
    return value


def deploy_config_validate(config: DeployConfig) -> DeployConfig:
    """``config`` when every value can be deployed, else `DeployConfigError` naming the value."""
    if not _IDENTIFIER.fullmatch(config.stage):
        raise DeployConfigError(f"stage: {config.stage!r}: use letters, digits and '-' only")
    if not _REGION.fullmatch(config.region):
        raise DeployConfigError(f"region: {config.region!r} is not an AWS region")
    for where, bucket in (
        ("bucket", config.bucket),
        ("hub.bucket", config.hub_bucket),
        ("export_bucket", config.export_bucket),
    ):
        if bucket and not _BUCKET.fullmatch(bucket):
            raise DeployConfigError(f"{where}: {bucket!r} is not an S3 bucket name")
    for where, external_id in (
        ("external_id", config.external_id),
        ("hub.external_id", config.hub_external_id),
    ):
        if external_id and not re.fullmatch(r"[\w+=,.@:/-]{2,1224}", external_id):
            raise DeployConfigError(
                f"{where}: 2 to 1224 characters of letters, digits and +=,.@:/- (STS's rule)"
            )
    if config.hub_stage and not _IDENTIFIER.fullmatch(config.hub_stage):
        raise DeployConfigError("hub.stage: use letters, digits and '-' only")
    if config.hub_region and not _REGION.fullmatch(config.hub_region):
        raise DeployConfigError(f"hub.region: {config.hub_region!r} is not an AWS region")
    if config.hub_public_key and "PRIVATE KEY" in config.hub_public_key:
        raise DeployConfigError(
            "hub.public_key: that is a private key; give the Hub's public key (PEM) only"
        )
    if config.hub_public_key:
        try:  # PEM, or the one-line base64 DER that `bootstrap --role hub` prints
            public_key_load(config.hub_public_key, source="hub.public_key")
        except VerdictError as exc:
            raise DeployConfigError(str(exc)) from None
    _matching(
        "hub.consumer_accounts", config.hub_consumer_accounts, _ACCOUNT, "a 12-digit account id"
    )
    if config.hub_role_arn and not _ROLE_ARN.fullmatch(config.hub_role_arn):
        raise DeployConfigError(f"hub.role_arn: {config.hub_role_arn!r} is not an IAM role ARN")
    if config.hub_table_prefix and not _IDENTIFIER.fullmatch(config.hub_table_prefix):
        raise DeployConfigError("hub.table_prefix: use letters, digits and '-' only")
    _matching("trusted_origins", config.trusted_origins, _ORIGIN, "an https:// origin")
    _matching(
        "trusted_product_arns",
        config.trusted_product_arns,
        _PRODUCT_ARN,
        "a Security Hub product ARN",
    )
    _matching("account_scope", config.account_scope, _ACCOUNT, "a 12-digit account id")
    if config.securityhub_v2 not in SECURITYHUB_V2_MODES:
        raise DeployConfigError(
            f"securityhub_v2: {config.securityhub_v2!r}: expected one of "
            f"{', '.join(SECURITYHUB_V2_MODES)}"
        )
    if config.ticket_connector_id and not _CONNECTOR.fullmatch(config.ticket_connector_id):
        raise DeployConfigError(
            f"ticket_connector_id: {config.ticket_connector_id!r} is not a connector id "
            "(letters, digits, '-' and '_', at most 128)"
        )
    if config.console_url and not _CONSOLE_URL.fullmatch(config.console_url):
        raise DeployConfigError(
            f"console_url: {config.console_url!r} is not an https:// URL (the console's address)"
        )
    _matching("vpc.subnet_ids", config.vpc_subnet_ids, _SUBNET, "a subnet id (subnet-...)")
    _matching(
        "vpc.security_group_ids",
        config.vpc_security_group_ids,
        _SECURITY_GROUP,
        "a security group id (sg-...)",
    )
    if bool(config.vpc_subnet_ids) != bool(config.vpc_security_group_ids):
        raise DeployConfigError("vpc: give both subnet_ids and security_group_ids, or neither")
    prefix = f"/ouroboros/{config.stage}/"
    for channel, name in (config.webhooks or {}).items():
        where = f"webhooks.{channel}"
        if channel not in WEBHOOK_CHANNELS:
            raise DeployConfigError(
                f"{where}: unknown channel; known: {', '.join(WEBHOOK_CHANNELS)}"
            )
        if "://" in name or not name.startswith("/"):
            raise DeployConfigError(
                f"{where}: give the name of the SSM SecureString parameter holding the URL "
                f"(e.g. {prefix}{WEBHOOK_CHANNELS[channel][1]}), never the URL itself: "
                "secrets stay in Parameter Store"
            )
        if not _PARAMETER.fullmatch(name) or not name.startswith(prefix):
            raise DeployConfigError(
                f"{where}: {name!r} must be a parameter under {prefix} "
                "(the only path the functions may read)"
            )
    return config


def deploy_config_parse(data: dict[str, Any]) -> DeployConfig:
    """The configuration a parsed ``deploy.toml`` holds (validated)."""
    _unknown("deploy.toml", data, _TOP)
    hub = _table("hub", data.get("hub", {}))
    vpc = _table("vpc", data.get("vpc", {}))
    _unknown("hub", hub, _HUB)
    _unknown("vpc", vpc, _VPC)
    webhooks = None
    if "webhooks" in data:
        webhooks = {
            str(channel): _string(f"webhooks.{channel}", name)
            for channel, name in _table("webhooks", data["webhooks"]).items()
        }
    default = DeployConfig()
    return deploy_config_validate(
        DeployConfig(
            stage=_string("stage", data.get("stage", default.stage)),
            region=_string("region", data.get("region", default.region)),
            bucket=_string("bucket", data.get("bucket", "")),
            external_id=_string("external_id", data.get("external_id", "")),
            trusted_origins=_strings("trusted_origins", data.get("trusted_origins", [])),
            trusted_product_arns=_strings(
                "trusted_product_arns", data.get("trusted_product_arns", [])
            ),
            account_scope=_strings("account_scope", data.get("account_scope", [])),
            securityhub_v2=_string("securityhub_v2", data.get("securityhub_v2", "off")),
            ticket_connector_id=_string("ticket_connector_id", data.get("ticket_connector_id", "")),
            console_url=_string("console_url", data.get("console_url", "")).rstrip("/"),
            export_bucket=_string("export_bucket", data.get("export_bucket", "")),
            hub_role_arn=_string("hub.role_arn", hub.get("role_arn", "")),
            hub_bucket=_string("hub.bucket", hub.get("bucket", "")),
            hub_table_prefix=_string("hub.table_prefix", hub.get("table_prefix", "")),
            hub_stage=_string("hub.stage", hub.get("stage", "")),
            hub_region=_string("hub.region", hub.get("region", "")),
            hub_external_id=_string("hub.external_id", hub.get("external_id", "")),
            hub_public_key=_string("hub.public_key", hub.get("public_key", "")),
            hub_consumer_accounts=_strings(
                "hub.consumer_accounts", hub.get("consumer_accounts", [])
            ),
            hub_signing_key_id=_string("hub.signing_key_id", hub.get("signing_key_id", "")),
            webhooks=webhooks,
            vpc_subnet_ids=_strings("vpc.subnet_ids", vpc.get("subnet_ids", [])),
            vpc_security_group_ids=_strings(
                "vpc.security_group_ids", vpc.get("security_group_ids", [])
            ),
        )
    )


def deploy_config_read(path: Path) -> DeployConfig:
    """The configuration in ``path`` (the defaults when the file does not exist)."""
    if not path.is_file():
        return DeployConfig()
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise DeployConfigError(f"{path.name}: not valid TOML ({exc})") from exc
    try:
        return deploy_config_parse(data)
    except DeployConfigError as exc:
        raise DeployConfigError(f"{path.name}: {exc}") from exc


#: Option name -> field, for the values a command line may override.
OPTION_FIELDS = tuple(f.name for f in fields(DeployConfig) if f.name != "webhooks")


def deploy_config_override(config: DeployConfig, **options: Any) -> DeployConfig:
    """``config`` with the options that are set (not None / empty) replacing its values."""
    changes: dict[str, Any] = {}
    for name, value in options.items():
        if name not in OPTION_FIELDS:
            raise DeployConfigError(f"unknown option {name!r}")
        if value in (None, "", ()):
            continue
        current = getattr(config, name)
        changes[name] = _strings(name, value) if isinstance(current, tuple) else value
    return deploy_config_validate(replace(config, **changes))


def deploy_config_missing(config: DeployConfig) -> list[str]:
    """What a consumer deployment needs that ``config`` lacks (one line each; empty: complete)."""
    missing = []
    if not config.external_id:
        missing.append("external_id: the ExternalId the member roles require")
    if not config.hub_bucket:
        missing.append("hub.bucket: the Hub's artifact bucket (bootstrap --role hub prints it)")
    return missing
