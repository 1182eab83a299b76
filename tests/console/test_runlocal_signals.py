"""``runlocal`` turns the signals that end a process into the Ctrl-C path that stops the runtime.

Without it, SIGTERM (``kill``, a process manager) ended Python at once and DynamoDB Local, in its
own process group, kept running; and a runtime started in the background (SIGINT ignored, as a
shell starts ``make run &``) could not be stopped with SIGINT at all. The end-to-end stop by
SIGTERM is in ``tests/integration/test_runlocal.py``.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from console.jobs.management.commands.runlocal import _stop_on_signals

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@pytest.fixture
def saved_handlers() -> Iterator[None]:
    saved = {signum: signal.getsignal(signum) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_each_stopping_signal_raises_keyboard_interrupt(saved_handlers: None, signum: int) -> None:
    for each in SIGNALS:  # ignored to start with (SIGINT is, in a background job)
        signal.signal(each, signal.SIG_IGN)

    _stop_on_signals()

    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signum)
        time.sleep(1)  # the handler runs here at the latest


def test_after_the_first_signal_the_others_are_ignored(saved_handlers: None) -> None:
    _stop_on_signals()
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
    for signum in SIGNALS:  # the stop is running: a second TERM, a Ctrl-C, a closed terminal
        os.kill(os.getpid(), signum)
        time.sleep(0.05)
    _stop_on_signals()  # a new run starts afresh
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
