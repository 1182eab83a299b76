"""Configuration from the environment."""

from __future__ import annotations

import pytest

from ouroboros.config import ConfigError, get_config, reset_config


def test_defaults_match_the_original_table_names() -> None:
    config = get_config()
    assert config.table_name("security_controls") == "cmdb_dev_security_controls"
    assert config.role == "consumer"
    assert config.member_role_arn("222222222222") == (
        "arn:aws:iam::222222222222:role/OuroborosMemberRemediationRole"
    )


def test_stage_prefix_and_hub_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUROBOROS_STAGE", "prod")
    monkeypatch.setenv("OUROBOROS_TABLE_PREFIX", "sec")
    monkeypatch.delenv("OUROBOROS_HUB_TABLE_PREFIX")
    reset_config()
    config = get_config()
    assert config.table_name("security_findings") == "sec_prod_security_findings"
    # The Hub's prefix is not the consumer's by default: one account can hold both sides.
    assert config.hub_table_name("security_reactors") == "hub_prod_security_reactors"
    assert config.hub_table_name("security_controls") != config.table_name("security_controls")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OUROBOROS_ROLE", "member"),
        ("OUROBOROS_STAGE", "dev; drop"),
        ("OUROBOROS_TABLE_PREFIX", ""),
        ("OUROBOROS_SESSION_TTL_SECONDS", "60"),
        # Links leave the console: https, or plain http to this machine's loopback only.
        ("OUROBOROS_CONSOLE_URL", "http://ouroboros.example.com"),
        ("OUROBOROS_CONSOLE_URL", "javascript:alert(1)"),
        ("OUROBOROS_CONSOLE_URL", "https://ouroboros.example.com/?next=//evil"),
    ],
)
def test_invalid_values_are_refused_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    reset_config()
    with pytest.raises(ConfigError, match=name):
        get_config()
