"""Which official reactors `make run`'s local Hub starts with (``OUROBOROS_LOCAL_CATALOG``)."""

from __future__ import annotations

import pytest
from django.core.management.base import CommandError

from console.hub.management.commands.hub_publish import official_packages
from console.jobs.management.commands.runlocal import CATALOG_ENV, local_catalog
from emulator.demo_remediation import DEMO_REACTOR


def test_every_official_reactor_by_default_the_demos_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    catalog = local_catalog()
    assert sorted(catalog) == official_packages()
    assert catalog[0].name == DEMO_REACTOR.replace("-", "_")


def test_the_variable_names_the_reactors_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CATALOG_ENV, " sqs-queue-encryption, s3_public_read ,")
    assert [p.name for p in local_catalog()] == ["sqs_queue_encryption", "s3_public_read"]


def test_an_unknown_reactor_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CATALOG_ENV, "s3-public-read,no-such-reactor")
    with pytest.raises(CommandError, match="no official reactor no-such-reactor"):
        local_catalog()
