"""``deploy.toml`` -> ``zappa_settings.json`` (issue 15, items 3 and 5; configuration as code).

The file's values reach the functions that read them, secrets only as SSM parameter names, a
console VPC becomes ``vpc_config``, and ``zappa_settings --write`` never loses a value: options
that differ from the file and keys added to ``zappa_settings.json`` by hand are refused.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from deploy.config_file import (
    DeployConfig,
    DeployConfigError,
    deploy_config_missing,
    deploy_config_parse,
    deploy_config_read,
)
from deploy.zappa_settings import zappa_settings_build, zappa_settings_read
from tests.deploy.test_settings_coverage import delivered_environment

ROOT = Path(__file__).resolve().parents[2]

FULL = """
stage = "prod"
region = "eu-west-1"
bucket = "my-zappa-packages"
external_id = "ouroboros-4f1c2a"
trusted_origins = ["https://ouroboros.example.com"]
trusted_product_arns = ["arn:aws:securityhub:eu-west-1::product/aws/guardduty"]
account_scope = ["111122223333", "444455556666"]
securityhub_v2 = "on"
console_url = "https://ouroboros.example.com/"

[hub]
role_arn = "arn:aws:iam::999988887777:role/ouroboros-prod-hub-read"
bucket = "ouroboros-prod-hub-artifacts-999988887777"
table_prefix = "hub"

[webhooks]
slack = "/ouroboros/prod/slack-webhook-url"

[vpc]
subnet_ids = ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
security_group_ids = ["sg-0123456789abcdef0"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deploy.toml"
    path.write_text(text)
    return path


def test_every_value_of_the_file_reaches_the_functions_that_read_it(tmp_path: Path) -> None:
    config = deploy_config_read(_write(tmp_path, FULL))
    assert deploy_config_missing(config) == []
    settings = zappa_settings_build(config=config, include_planned=True)
    console = delivered_environment(settings, "console")
    installer = delivered_environment(settings, "reactor_installer")
    notify = delivered_environment(settings, "notify_subscriber")
    hub = delivered_environment(settings, "hub_verify")
    assert installer["OUROBOROS_EXTERNAL_ID"] == "ouroboros-4f1c2a"
    for env in (console, installer):
        assert (
            env["OUROBOROS_HUB_ROLE_ARN"]
            == "arn:aws:iam::999988887777:role/ouroboros-prod-hub-read"
        )
        assert env["OUROBOROS_HUB_BUCKET"] == "ouroboros-prod-hub-artifacts-999988887777"
        assert env["OUROBOROS_HUB_TABLE_PREFIX"] == "hub"
        assert env["OUROBOROS_ACCOUNT_SCOPE"] == "111122223333,444455556666"
        assert env["OUROBOROS_TRUSTED_PRODUCT_ARNS"].endswith("product/aws/guardduty")
    for key in ("collect_findings", "finding_imported", "dispatch_finding"):
        assert delivered_environment(settings, key)["OUROBOROS_SECURITYHUB_V2"] == "on"
    for key in ("send_notification", "console"):  # tickets and notifications link executions
        assert delivered_environment(settings, key)["OUROBOROS_CONSOLE_URL"] == (
            "https://ouroboros.example.com"
        )
    assert console["DJANGO_CSRF_TRUSTED_ORIGINS"] == "https://ouroboros.example.com"
    assert console["DJANGO_ALLOWED_HOSTS"] == (
        ".execute-api.eu-west-1.amazonaws.com,ouroboros.example.com"
    )
    assert notify["OUROBOROS_SLACK_WEBHOOK_URL_PARAMETER"] == "/ouroboros/prod/slack-webhook-url"
    assert "OUROBOROS_WECHAT_WEBHOOK_URL_PARAMETER" not in notify, "a channel left out is off"
    assert "OUROBOROS_HUB_ROLE_ARN" not in hub and hub["OUROBOROS_HUB_TABLE_PREFIX"] == "hub"
    assert settings["console"]["vpc_config"] == {
        "SubnetIds": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        "SecurityGroupIds": ["sg-0123456789abcdef0"],
    }
    assert not [k for k, stage in settings.items() if k != "console" and "vpc_config" in stage]
    assert {stage.get("s3_bucket") for stage in settings.values()} - {None} == {"my-zappa-packages"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[webhooks]\nslack = "https://hooks.slack.com/services/T000/B000/XXXX"',
            "never the URL itself",
        ),
        ('[webhooks]\nslack = "/elsewhere/slack"', "must be a parameter under /ouroboros/prod/"),
        ('[webhooks]\nteams = "/ouroboros/prod/teams"', "unknown channel"),
        ('secret_key = "abc"', "unknown key(s) secret_key"),
        ('[hub]\npassword = "x"', "hub: unknown key(s) password"),
        ('[vpc]\nsubnet_ids = ["subnet-0123456789abcdef0"]', "give both subnet_ids"),
        (
            '[vpc]\nsubnet_ids = ["10.0.0.0/24"]\nsecurity_group_ids = ["sg-0123456789abcdef0"]',
            "is not a subnet id",
        ),
        ('account_scope = ["1234"]', "is not a 12-digit account id"),
        ('trusted_origins = ["http://plain.example.com"]', "is not an https:// origin"),
        ('[hub]\nrole_arn = "ouroboros-hub-read"', "is not an IAM role ARN"),
        ("stage = 5", "stage: expected a string"),
        ('securityhub_v2 = "yes"', "securityhub_v2: 'yes': expected one of off, on, only"),
        ('console_url = "http://ouroboros.example.com"', "console_url: 'http://ouroboros"),
    ],
)
def test_a_value_that_cannot_be_deployed_is_refused_by_name(text: str, message: str) -> None:
    import tomllib

    with pytest.raises(DeployConfigError) as refused:
        deploy_config_parse(tomllib.loads(text))
    assert message in str(refused.value)
    assert "hooks.slack.com" not in str(refused.value), "a refused secret is not echoed"


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(DeployConfigError, match=r"deploy\.toml: not valid TOML"):
        deploy_config_read(_write(tmp_path, "stage = "))


def test_the_committed_settings_are_what_the_committed_deploy_toml_generates() -> None:
    config = deploy_config_read(ROOT / "deploy.toml")
    assert zappa_settings_read(ROOT / "zappa_settings.json") == zappa_settings_build(config=config)


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("zappa_settings", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_write_generates_from_the_file_and_a_rewrite_keeps_every_value(tmp_path: Path) -> None:
    source = _write(tmp_path, FULL)
    output = tmp_path / "zappa_settings.json"
    _command("--config", str(source), "--write", "--output", str(output))
    first = output.read_text()
    _command("--config", str(source), "--write", "--output", str(output))
    assert output.read_text() == first
    assert (
        json.loads(first)["reactor_installer"]["aws_environment_variables"]["OUROBOROS_EXTERNAL_ID"]
        == "ouroboros-4f1c2a"
    )


def test_write_refuses_an_option_the_next_write_would_lose(tmp_path: Path) -> None:
    source = _write(tmp_path, FULL)
    output = tmp_path / "zappa_settings.json"
    with pytest.raises(CommandError, match="set external_id there"):
        _command(
            "--config", str(source), "--external-id", "other-id", "--write", "--output", str(output)
        )
    assert not output.exists()
    printed = json.loads(_command("--config", str(source), "--external-id", "other-id"))
    env = printed["reactor_installer"]["aws_environment_variables"]
    assert env["OUROBOROS_EXTERNAL_ID"] == "other-id", "options override the file for printing"


def test_write_refuses_to_drop_a_hand_edit_unless_forced(tmp_path: Path) -> None:
    source = _write(tmp_path, FULL)
    output = tmp_path / "zappa_settings.json"
    _command("--config", str(source), "--write", "--output", str(output))
    edited = json.loads(output.read_text())
    edited["console"]["aws_environment_variables"]["MY_SETTING"] = "by hand"
    output.write_text(json.dumps(edited))
    with pytest.raises(CommandError, match=r"console\.aws_environment_variables\.MY_SETTING"):
        _command("--config", str(source), "--write", "--output", str(output))
    assert "MY_SETTING" in output.read_text()
    _command("--config", str(source), "--write", "--force", "--output", str(output))
    assert "MY_SETTING" not in output.read_text()


def test_without_the_hub_and_external_id_the_command_warns(tmp_path: Path) -> None:
    assert deploy_config_missing(DeployConfig()) == [
        "external_id: the ExternalId the member roles require",
        "hub.bucket: the Hub's artifact bucket (bootstrap --role hub prints it)",
    ]
    err = io.StringIO()
    call_command(
        "zappa_settings", "--config", str(_write(tmp_path, "")), stdout=io.StringIO(), stderr=err
    )
    assert "warning: deploy.toml: external_id" in err.getvalue()


def test_the_hubs_public_key_is_taken_as_bootstrap_prints_it_or_as_pem() -> None:
    """`bootstrap --role hub` prints the key as one line of base64 DER; a PEM works too; a
    private key or anything that is not a P-256 public key is refused."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from ouroboros.reactors.verdict import public_key_text

    private = ec.generate_private_key(ec.SECP256R1())
    one_line = public_key_text(private.public_key())
    pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    for key in (one_line, pem):
        assert deploy_config_parse({"hub": {"public_key": key}}).hub_public_key == key.strip()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    for bad in (private_pem, "not-a-key", one_line[:-8]):
        with pytest.raises(DeployConfigError, match=r"hub\.public_key"):
            deploy_config_parse({"hub": {"public_key": bad}})
