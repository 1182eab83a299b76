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


def test_a_signal_another_thread_takes_still_ends_the_wait() -> None:
    """The kernel gave SIGTERM to a worker thread (here on purpose): the main thread's wait
    ends with the stop path all the same (an untimed wait hung there: issue 18's flaky stop)."""
    import signal

    from console.jobs.management.commands import runlocal

    saved = {s: signal.getsignal(s) for s in runlocal.STOP_SIGNALS}
    runlocal._stop_on_signals()
    try:

        def to_this_thread() -> None:
            threading.Event().wait(0.3)
            signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

        threading.Thread(target=to_this_thread, daemon=True).start()
        try:
            runlocal._wait_forever()
        except KeyboardInterrupt as stopped:
            assert str(stopped) == "SIGTERM"
        else:
            raise AssertionError("the wait ended without the stop path")
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        runlocal._stopping.clear()
