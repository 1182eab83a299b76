"""A slow stop of ``runlocal`` leaves every thread's stack in its log: what it waited for."""

from __future__ import annotations

import threading
from pathlib import Path

from console.jobs.management.commands.runlocal import _stacks_if_slow


def test_a_slow_stop_logs_every_threads_stack(tmp_path: Path) -> None:
    log = tmp_path / "data" / "runlocal.log"
    with _stacks_if_slow(log, seconds=0.05):
        threading.Event().wait(0.5)  # a stop that waits for something
    text = log.read_text()
    assert "Thread 0x" in text and "test_runlocal_stop.py" in text


def test_a_quick_stop_logs_nothing(tmp_path: Path) -> None:
    log = tmp_path / "runlocal.log"
    with _stacks_if_slow(log, seconds=30):
        pass
    assert log.read_text() == ""
