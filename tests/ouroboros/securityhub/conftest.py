"""moto's in-process DynamoDB is not thread-safe: functional tests here write from one thread."""

from __future__ import annotations

import pytest

from ouroboros.findings import services as finding_services
from ouroboros.securityhub import collect_findings


@pytest.fixture(autouse=True)
def one_writer_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(finding_services, "WRITE_WORKERS", 1)
    monkeypatch.setattr(collect_findings, "IN_FLIGHT", 1)
