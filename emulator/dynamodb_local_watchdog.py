"""Run DynamoDB Local's Java so that it never outlives the process that started it.

``python dynamodb_local_watchdog.py PIDFILE LOCKFD -- java ...`` (what `emulator.dynamodb_local`
runs; standard library only, so it starts in a few milliseconds with ``python -I``). It starts
Java, hands it ``LOCKFD`` (the data folder's DynamoDB Local lock, inherited from the runtime, so
the lock is held as long as this watchdog or its Java lives), writes Java's pid to ``PIDFILE``,
and stops Java (SIGTERM, then SIGKILL after 15 s) as soon as:

- its standard input reaches end of file: the runtime holds the pipe's other end, so this happens
  when the runtime closes it to stop, and also when the runtime dies in any way, SIGKILL and the
  OOM killer included (the kernel closes a dead process's files);
- it receives SIGTERM, SIGINT or SIGHUP;
- or it dies itself: Java gets SIGKILL from the kernel then (``PR_SET_PDEATHSIG``, set in the
  child between fork and exec). The death signal fires when the *thread* that forked the child
  ends, not the process: Java is forked from this script's main thread, which lives until the
  script ends, so it fires exactly when the watchdog is gone. (Setting it on Java from the
  multi-threaded runtime would kill Java whenever the thread that started it returned.)

It exits with Java's exit status and removes ``PIDFILE`` if it still names this Java.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

PR_SET_PDEATHSIG = 1
STOP_TIMEOUT = 15.0


def die_with_this_process(parent: int) -> Callable[[], None]:
    """A ``preexec_fn`` for a child that gets SIGKILL when ``parent``'s forking thread ends."""

    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl: nobody will stop this child
            os._exit(1)

    return preexec


class Watchdog:
    """Java under watch (see the module docstring)."""

    def __init__(self, command: list[str], pidfile: Path, lock_fd: int) -> None:
        self.command = command
        self.pidfile = pidfile
        self.lock_fd = lock_fd
        self.java: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Lock()

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        self.java = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            pass_fds=(self.lock_fd,),
            preexec_fn=die_with_this_process(os.getpid()),  # forked from the main thread
        )
        self.pidfile.write_text(f"{self.java.pid}\n")
        threading.Thread(target=self._watch_stdin, name="stdin-eof", daemon=True).start()
        try:
            while True:
                try:
                    return self.java.wait()
                except InterruptedError:  # pragma: no cover (PEP 475 retries; kept for clarity)
                    continue
        finally:
            self._pidfile_remove()

    def stop(self) -> None:
        """Stop Java once: SIGTERM, then SIGKILL if it is still there after `STOP_TIMEOUT`."""
        if self.java is None or not self._stopping.acquire(blocking=False):
            return
        if self.java.poll() is None:
            self.java.terminate()
            try:
                self.java.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.java.kill()

    def _watch_stdin(self) -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except OSError:
            pass
        self.stop()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=self.stop, name="stop-on-signal", daemon=True).start()

    def _pidfile_remove(self) -> None:
        try:
            if self.java is not None and self.pidfile.read_text().strip() == str(self.java.pid):
                self.pidfile.unlink()
        except OSError:
            pass


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--" or not argv[1].isdigit():
        print("usage: dynamodb_local_watchdog.py PIDFILE LOCKFD -- COMMAND...", file=sys.stderr)
        return 2
    return Watchdog(argv[3:], Path(argv[0]), int(argv[1])).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
