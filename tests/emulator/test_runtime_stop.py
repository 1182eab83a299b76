"""`LocalRuntime.stop` runs to its end once begun, and a second call is harmless.

Issue 18: a second SIGTERM during the stop raised KeyboardInterrupt inside an extension's stop
(the scheduler's ``thread.join``), and DynamoDB Local was never stopped.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.runtime import LocalRuntime


class _Extension:
    def __init__(self, name: str, stopped: list[str], signum: int | None = None) -> None:
        self.name, self.stopped, self.signum = name, stopped, signum

    def start(self, runtime: LocalRuntime) -> None:
        pass

    def stop(self) -> None:
        if self.signum is not None:  # a supervisor's second signal, mid-stop
            os.kill(os.getpid(), self.signum)
        self.stopped.append(self.name)


@pytest.fixture
def saved_handlers() -> Iterator[None]:
    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    saved = {signum: signal.getsignal(signum) for signum in signals}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=str)
def test_a_signal_during_the_stop_is_ignored_and_every_part_stops(
    tmp_path: Path, saved_handlers: None, signum: int
) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    stopped: list[str] = []
    runtime = LocalRuntime(data_dir=tmp_path, extensions=[])
    runtime._started = [
        _Extension("scheduler-owner", stopped),
        _Extension("scheduler", stopped, signum),
        _Extension("last", stopped),
    ]

    runtime.stop()  # no KeyboardInterrupt escapes, and every extension stopped

    assert stopped == ["last", "scheduler", "scheduler-owner"]
    assert signal.getsignal(signal.SIGTERM) is _interrupt  # the handlers are back afterwards


def test_stop_twice_or_before_start_is_harmless(tmp_path: Path) -> None:
    stopped: list[str] = []
    runtime = LocalRuntime(data_dir=tmp_path, extensions=[])
    runtime.stop()
    runtime._started = [_Extension("one", stopped)]
    runtime.stop()
    runtime.stop()
    assert stopped == ["one"]
