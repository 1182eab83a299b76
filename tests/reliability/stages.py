"""Run a collection into a stage's own tables, so a faulted and an unfaulted run compare."""

from __future__ import annotations

import pytest

from ouroboros.aws import reset_sessions
from ouroboros.config import reset_config
from ouroboros.models import bind_models
from ouroboros.models.tables import tables_ensure


def stage_enter(monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    """Point config, sessions and models at ``stage`` and create its tables."""
    monkeypatch.setenv("OUROBOROS_STAGE", stage)
    reset_config()
    reset_sessions()
    bind_models()
    tables_ensure("all")
