"""The one typed configuration of Ouroboros, read from the environment in one place.

Every other module asks `get_config()`; nothing else reads `os.environ` for settings. Tests change
the environment and call `reset_config()`.

Variables (all optional):

- ``OUROBOROS_STAGE`` (``dev``), ``OUROBOROS_TABLE_PREFIX`` (``cmdb``): table names are
  ``{prefix}_{stage}_{name}``, so the defaults match the original system
  (``cmdb_dev_security_controls``...).
- ``OUROBOROS_HUB_TABLE_PREFIX`` (``hub``), ``OUROBOROS_HUB_STAGE`` (the stage),
  ``OUROBOROS_HUB_REGION`` (the region): where the Hub's tables are,
  ``{hub_prefix}_{hub_stage}_{name}``. The prefix differs from the consumer's by default, so one
  account can hold both sides (the Hub's ``security_controls`` has another key schema than the
  consumer's); ``bootstrap --role hub`` prints the values a consumer in another account needs.
- ``OUROBOROS_ROLE``: ``consumer`` (default) or ``hub``.
- ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` (``us-east-1``).
- ``OUROBOROS_MEMBER_ROLE_NAME`` (``OuroborosMemberRemediationRole``), ``OUROBOROS_EXTERNAL_ID``:
  the role a reactor assumes in a finding's account, and the ExternalId that role requires.
- ``OUROBOROS_HUB_ROLE_ARN``: the Hub's reader role a consumer assumes to read the Hub's tables and
  artifacts (`ouroboros.models.binding`); empty: the Hub is read with the consumer's own
  credentials (same account, the local runtime). ``OUROBOROS_HUB_EXTERNAL_ID`` (default:
  ``OUROBOROS_EXTERNAL_ID``): the ExternalId that role demands.
- ``OUROBOROS_HUB_CONSUMER_ACCOUNTS`` (Hub only; empty: none): comma-separated 12-digit ids of the
  consumer accounts the Hub's reader role trusts (``bootstrap --role hub``).
- ``OUROBOROS_DATA_DIR`` (``.local``): where the local runtime keeps its data and endpoints.
- ``OUROBOROS_LOCAL_SCHEDULE_SECONDS`` (``300``): how often the local runtime's scheduler runs the
  collectors and other scheduled jobs.
- ``OUROBOROS_HUB_BUCKET`` (``ouroboros-hub-artifacts``): the Hub's S3 bucket of reactor artifacts.
- ``OUROBOROS_HUB_SIGNING_KEY_ID`` (Hub; empty: the local key): the KMS key (id, ARN or
  ``alias/...``; bootstrap creates ``alias/ouroboros-<stage>-hub-verdicts``) the verifier signs
  its verdicts with. Empty, it signs with ``<data dir>/hub-signing-key.pem`` (P-256, created
  owner-only on first use): the local runtime's mode (`ouroboros.reactors.verdict`).
- ``OUROBOROS_HUB_IMPORT_FUNCTION`` (Hub, AWS): the permission-less Lambda function
  (``ouroboros-<stage>-hub-import-probe``) the verifier hands each artifact to for its import.
  Empty, the import runs in a confined child process (`ouroboros.reactors.isolation`): the local
  runtime's mode, which needs root and namespaces that Lambda does not give.
- ``OUROBOROS_HUB_PUBLIC_KEY`` (consumer): the Hub's public key the installer checks every verdict
  with: PEM, or the one-line base64 DER ``bootstrap --role hub`` prints. Empty, only the local
  runtime has one (the public half of its own data folder's key); a deployed installer then
  refuses every install.
- ``OUROBOROS_CURSOR_SECRET``: key that signs pagination cursors (`ouroboros.pagination`) in every
  process that sets it. Without it the console signs them with a key it derives from its
  ``SECRET_KEY`` (HKDF) and hands over with `ouroboros.pagination.cursor_key_configure`; any
  other process uses a random key of its own. Never a key derived from public names.
- ``OUROBOROS_NOTIFICATION_TOPIC_NAME`` (``ouroboros-<stage>-notifications``): the SNS topic the
  workflow publishes its outcomes to; ``OUROBOROS_STATE_MACHINE_NAME``
  (``ouroboros-<stage>-security-hub-finding-reactor``).
- ``OUROBOROS_REMEDIATION_RATE`` (``5``) and ``OUROBOROS_REMEDIATION_BURST`` (``10``): reactor runs
  per second per account and region (a token bucket; a burst above it is paced, not dropped).
- ``OUROBOROS_TRUSTED_PRODUCT_ARNS`` (empty): comma-separated product ARNs, besides Security Hub's
  own (``arn:<partition>:securityhub:<region>::product/aws/securityhub``), whose findings may be
  remediated (`ouroboros.workflow.provenance`); compared exactly. The EventBridge rule of automatic
  runs stays Security Hub-only, so these products are remediated by an operator (Remediate now,
  the custom action).
- ``OUROBOROS_ACCOUNT_SCOPE`` (empty: every account): comma-separated 12-digit account ids whose
  findings may be remediated; a finding of any other account is recorded as skipped.
- ``OUROBOROS_SECURITYHUB_V2`` (``off``): the new AWS Security Hub (OCSF findings, the V2 APIs).
  ``off``: findings are collected with ``GetFindings`` (ASFF) only; ``on``: with ``GetFindings``
  and ``GetFindingsV2``, and a finding seen in both formats is written back through both
  ``BatchUpdateFindings`` and ``BatchUpdateFindingsV2``; ``only``: with ``GetFindingsV2`` only
  (Security Hub CSPM off), written back through V2 (`ouroboros.securityhub.writeback`). "Findings
  Imported V2" events are handled whatever the value (the rule matches them).
- Tickets (`ouroboros.tickets`): ``OUROBOROS_TICKET_CONNECTOR_ID`` (empty: none), the new Security
  Hub's connector that ``CreateTicketV2`` opens tickets through, for findings that carry a V2
  ``metadata.uid``; ``OUROBOROS_TICKET_WEBHOOK_URL`` (or ``..._PARAMETER``, an SSM parameter
  name), the generic JSON webhook every other ticket is posted to (a secret, like the chat
  webhooks).
- ``OUROBOROS_CONSOLE_URL`` (empty: none): where the console is served (``https://...``; in the
  local runtime, ``http://127.0.0.1:<port>``, which ``runlocal`` sets). Tickets and notifications
  link the execution's page with it; without it they carry the console path only.
- ``OUROBOROS_RUNTIME``: ``aws`` in every deployed function (Zappa sets it; Lambda's own
  ``AWS_LAMBDA_FUNCTION_NAME`` counts the same); unset or ``local`` elsewhere (the local runtime,
  tests). Only the local runtime may post notifications over plain http to loopback receivers.
- Notification channels, secrets: ``OUROBOROS_WECHAT_WEBHOOK_URL``, ``OUROBOROS_SLACK_WEBHOOK_URL``,
  ``OUROBOROS_WEBHOOK_URL``, or the same names ending in ``_PARAMETER`` holding an SSM parameter
  name (deployed functions carry only those). Never logged or rendered (``repr=False``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

Role = Literal["consumer", "hub"]
ROLES: tuple[Role, ...] = ("consumer", "hub")
#: Values of ``OUROBOROS_SECURITYHUB_V2``.
SECURITYHUB_V2_MODES = ("off", "on", "only")
#: The Hub's default table prefix: not the consumer's (``cmdb``), so one account holds both.
HUB_TABLE_PREFIX = "hub"


class ConfigError(ValueError):
    """A configuration value in the environment is invalid."""


@dataclass(frozen=True)
class Config:
    """Settings shared by the core, the console and the Lambda functions."""

    stage: str
    region: str
    table_prefix: str
    hub_table_prefix: str
    role: Role
    member_role_name: str
    external_id: str
    hub_role_arn: str
    data_dir: Path
    sessions_ttl_seconds: int
    local_schedule_seconds: int = 300
    hub_bucket: str = "ouroboros-hub-artifacts"
    #: Where the Hub's tables are (see the module docstring; `get_config` fills in this stage
    #: and region when the environment names none).
    hub_stage: str = ""
    hub_region: str = ""
    #: The ExternalId the Hub's reader role demands (empty: the member roles' one).
    hub_external_id: str = field(default="", repr=False)
    #: Consumer accounts the Hub's reader role trusts (Hub side).
    hub_consumer_accounts: tuple[str, ...] = ()
    #: KMS key the Hub's verifier signs verdicts with; empty: the local key file.
    hub_signing_key_id: str = ""
    #: The Hub's public key (consumer); empty: the local key's, in the local runtime only.
    hub_public_key: str = ""
    #: Lambda function the Hub's verifier imports artifacts in (AWS); empty: a confined child
    #: process (namespaces, nobody: the local runtime).
    hub_import_function: str = ""
    cursor_secret: str = ""
    notification_topic_name: str = ""
    state_machine_name: str = ""
    remediation_rate: float = 5.0
    remediation_burst: int = 10
    #: Product ARNs trusted besides Security Hub's own (`ouroboros.workflow.provenance`).
    trusted_product_arns: tuple[str, ...] = ()
    #: Accounts whose findings may be remediated; empty: every account.
    account_scope: tuple[str, ...] = ()
    #: Security Hub V2 (OCSF): ``off``, ``on`` (beside ASFF) or ``only`` (see the module docstring).
    securityhub_v2: str = "off"
    #: False in AWS (``OUROBOROS_RUNTIME=aws``, or inside Lambda): webhooks only to public https.
    local_runtime: bool = True
    #: channel -> webhook URL or ``ssm:<parameter name>``; secrets, kept out of repr.
    webhooks: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    #: The Security Hub connector tickets are opened through (``CreateTicketV2``); empty: none.
    ticket_connector_id: str = ""
    #: The ticket webhook: a URL or ``ssm:<parameter name>``; empty: none. A secret.
    ticket_webhook: str = field(default="", repr=False)
    #: Where the console is served, without a trailing slash; empty: unknown (links are paths).
    console_url: str = ""

    def table_name(self, name: str) -> str:
        """Name of a consumer table: ``{prefix}_{stage}_{name}``."""
        return f"{self.table_prefix}_{self.stage}_{name}"

    def hub_table_name(self, name: str) -> str:
        """Name of a Hub table: ``{hub_prefix}_{hub_stage}_{name}``."""
        return f"{self.hub_table_prefix}_{self.hub_stage or self.stage}_{name}"

    @property
    def hub_region_name(self) -> str:
        """The Hub's region (this region unless ``OUROBOROS_HUB_REGION`` says otherwise)."""
        return self.hub_region or self.region

    @property
    def hub_external_id_value(self) -> str:
        """The ExternalId sent to the Hub's reader role."""
        return self.hub_external_id or self.external_id

    def member_role_arn(self, account_id: str) -> str:
        """ARN of the remediation role in a member account."""
        return f"arn:aws:iam::{account_id}:role/{self.member_role_name}"


def _identifier(name: str, value: str) -> str:
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
    if not value or any(c not in allowed for c in value):
        raise ConfigError(f"{name}={value!r}: use letters, digits and '-' only")
    return value


def _listed(name: str, value: str, pattern: re.Pattern[str], expected: str) -> tuple[str, ...]:
    """The comma-separated items of ``value`` (blanks dropped), each matching ``pattern``."""
    items = tuple(dict.fromkeys(item.strip() for item in value.split(",") if item.strip()))
    wrong = [item for item in items if not pattern.fullmatch(item)]
    if wrong:
        raise ConfigError(f"{name}: {wrong[0]!r} is not {expected}")
    return items


#: A console URL: https to any host, or http to the loopback address (the local runtime).
_CONSOLE_URL = re.compile(
    r"(https://[A-Za-z0-9.-]+(:\d{1,5})?|http://127\.0\.0\.1:\d{1,5})(/[\w./-]*)?"
)
_PRODUCT_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:securityhub:[a-z0-9-]+:\d{0,12}:product/\S+")
_ACCOUNT_ID = re.compile(r"\d{12}")


@lru_cache(maxsize=1)
def get_config() -> Config:
    """Read the configuration from the environment once; `reset_config()` reads it again."""
    env = os.environ
    role = env.get("OUROBOROS_ROLE", "consumer")
    if role not in ROLES:
        raise ConfigError(f"OUROBOROS_ROLE={role!r}: expected one of {', '.join(ROLES)}")
    prefix = _identifier("OUROBOROS_TABLE_PREFIX", env.get("OUROBOROS_TABLE_PREFIX", "cmdb"))
    ttl = env.get("OUROBOROS_SESSION_TTL_SECONDS", "3600")
    if not ttl.isdigit() or not 900 <= int(ttl) <= 43200:
        raise ConfigError(f"OUROBOROS_SESSION_TTL_SECONDS={ttl!r}: expected 900..43200")
    schedule = env.get("OUROBOROS_LOCAL_SCHEDULE_SECONDS", "300")
    if not schedule.isdigit() or int(schedule) < 1:
        raise ConfigError(f"OUROBOROS_LOCAL_SCHEDULE_SECONDS={schedule!r}: expected seconds >= 1")
    stage = _identifier("OUROBOROS_STAGE", env.get("OUROBOROS_STAGE", "dev"))
    rate, burst = (
        env.get("OUROBOROS_REMEDIATION_RATE", "5"),
        env.get("OUROBOROS_REMEDIATION_BURST", "10"),
    )
    try:
        rate_value = float(rate)
    except ValueError:
        rate_value = 0.0
    if rate_value <= 0 or not burst.isdigit() or int(burst) < 1:
        raise ConfigError(
            f"OUROBOROS_REMEDIATION_RATE={rate!r} / OUROBOROS_REMEDIATION_BURST={burst!r}: "
            "expected a positive rate and a burst >= 1"
        )
    securityhub_v2 = env.get("OUROBOROS_SECURITYHUB_V2", "off").strip().lower() or "off"
    if securityhub_v2 not in SECURITYHUB_V2_MODES:
        raise ConfigError(
            f"OUROBOROS_SECURITYHUB_V2={securityhub_v2!r}: expected one of "
            f"{', '.join(SECURITYHUB_V2_MODES)}"
        )
    runtime = env.get("OUROBOROS_RUNTIME", "local")
    if runtime not in ("local", "aws"):
        raise ConfigError(f"OUROBOROS_RUNTIME={runtime!r}: expected local or aws")
    webhooks: list[tuple[str, str]] = []
    for channel, name in (("wechat", "WECHAT"), ("slack", "SLACK"), ("webhook", "")):
        var = f"OUROBOROS_{name}_WEBHOOK_URL" if name else "OUROBOROS_WEBHOOK_URL"
        if env.get(var):
            webhooks.append((channel, env[var]))
        elif env.get(f"{var}_PARAMETER"):
            webhooks.append((channel, f"ssm:{env[f'{var}_PARAMETER']}"))
    ticket_webhook = env.get("OUROBOROS_TICKET_WEBHOOK_URL", "").strip()
    if not ticket_webhook and env.get("OUROBOROS_TICKET_WEBHOOK_URL_PARAMETER", "").strip():
        ticket_webhook = f"ssm:{env['OUROBOROS_TICKET_WEBHOOK_URL_PARAMETER'].strip()}"
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    console_url = env.get("OUROBOROS_CONSOLE_URL", "").strip().rstrip("/")
    if console_url and not _CONSOLE_URL.fullmatch(console_url):
        raise ConfigError(
            f"OUROBOROS_CONSOLE_URL={console_url!r}: expected https://<host>[/path] "
            "(http://127.0.0.1:<port> locally)"
        )
    return Config(
        stage=stage,
        region=region,
        table_prefix=prefix,
        hub_table_prefix=_identifier(
            "OUROBOROS_HUB_TABLE_PREFIX", env.get("OUROBOROS_HUB_TABLE_PREFIX", HUB_TABLE_PREFIX)
        ),
        hub_stage=_identifier("OUROBOROS_HUB_STAGE", env.get("OUROBOROS_HUB_STAGE") or stage),
        hub_region=(
            _identifier("OUROBOROS_HUB_REGION", env["OUROBOROS_HUB_REGION"])
            if env.get("OUROBOROS_HUB_REGION")
            else region
        ),
        hub_external_id=env.get("OUROBOROS_HUB_EXTERNAL_ID", ""),
        hub_consumer_accounts=_listed(
            "OUROBOROS_HUB_CONSUMER_ACCOUNTS",
            env.get("OUROBOROS_HUB_CONSUMER_ACCOUNTS", ""),
            _ACCOUNT_ID,
            "a 12-digit account id",
        ),
        role=role,  # checked against ROLES above
        member_role_name=env.get("OUROBOROS_MEMBER_ROLE_NAME", "OuroborosMemberRemediationRole"),
        external_id=env.get("OUROBOROS_EXTERNAL_ID", ""),
        hub_role_arn=env.get("OUROBOROS_HUB_ROLE_ARN", ""),
        data_dir=Path(env.get("OUROBOROS_DATA_DIR", ".local")).resolve(),
        sessions_ttl_seconds=int(ttl),
        local_schedule_seconds=int(schedule),
        hub_bucket=env.get("OUROBOROS_HUB_BUCKET", "ouroboros-hub-artifacts"),
        hub_signing_key_id=env.get("OUROBOROS_HUB_SIGNING_KEY_ID", "").strip(),
        hub_public_key=env.get("OUROBOROS_HUB_PUBLIC_KEY", "").strip(),
        hub_import_function=env.get("OUROBOROS_HUB_IMPORT_FUNCTION", "").strip(),
        cursor_secret=env.get("OUROBOROS_CURSOR_SECRET", ""),
        notification_topic_name=env.get(
            "OUROBOROS_NOTIFICATION_TOPIC_NAME", f"ouroboros-{stage}-notifications"
        ),
        state_machine_name=env.get(
            "OUROBOROS_STATE_MACHINE_NAME", f"ouroboros-{stage}-security-hub-finding-reactor"
        ),
        remediation_rate=rate_value,
        remediation_burst=int(burst),
        trusted_product_arns=_listed(
            "OUROBOROS_TRUSTED_PRODUCT_ARNS",
            env.get("OUROBOROS_TRUSTED_PRODUCT_ARNS", ""),
            _PRODUCT_ARN,
            "a Security Hub product ARN",
        ),
        account_scope=_listed(
            "OUROBOROS_ACCOUNT_SCOPE",
            env.get("OUROBOROS_ACCOUNT_SCOPE", ""),
            _ACCOUNT_ID,
            "a 12-digit account id",
        ),
        securityhub_v2=securityhub_v2,
        local_runtime=runtime == "local" and not env.get("AWS_LAMBDA_FUNCTION_NAME"),
        webhooks=tuple(webhooks),
        ticket_connector_id=env.get("OUROBOROS_TICKET_CONNECTOR_ID", "").strip(),
        ticket_webhook=ticket_webhook,
        console_url=console_url,
    )


def reset_config() -> None:
    """Forget the cached configuration (tests, and the local runtime after it sets endpoints)."""
    get_config.cache_clear()
