"""The local Security Hub's request pacing and the clocks it runs on.

AWS serves ``GetFindings`` (and ``GetFindingsV2``) at 3 requests per second with a burst of 6;
`RequestPacer` is that token bucket. Instead of throttling, a request that finds the bucket empty
waits on the pacer's clock until a token is there, so a caller sees AWS's pace, not its errors
(the collector's throttling path is tested elsewhere). Pacing is off unless a store is given a
pacer: tests stay fast.

The clock is injectable: `RealClock` sleeps; `VirtualClock` advances by the wait instead, so a
benchmark or a test can simulate an hour of paced reads (and a Lambda's 900 s budget, measured on
the same clock) in seconds of real time. The store's ``NextToken`` ages are read on the same
clock (`emulator.securityhub_store`).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

#: GetFindings' documented rate and burst.
GET_FINDINGS_RATE = 3.0
GET_FINDINGS_BURST = 6


class Clock(Protocol):
    """Seconds as a float, and a way to let them pass."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """Wall-clock seconds (``time.time``: comparable across the store's threads); really sleeps."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class VirtualClock:
    """Simulated seconds: `sleep` advances `now` at once (thread-safe); `advance` does the same
    for time passing between calls (e.g. between two scheduled invocations)."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go back")
        with self._lock:
            self._now += seconds


class RequestPacer:
    """A token bucket per operation (``rate`` a second, ``burst`` at most) on ``clock``.

    `wait` takes one token for ``operation``, first waiting on the clock until one is there;
    it returns how long it waited. Each operation has its own bucket, as AWS limits each API.
    """

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        rate: float = GET_FINDINGS_RATE,
        burst: int = GET_FINDINGS_BURST,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("pacing needs a positive rate and a burst of at least 1")
        self.clock: Clock = clock or RealClock()
        self.rate, self.burst = rate, burst
        self.waited = 0.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, operation: str) -> float:
        """Take a token for ``operation``, waiting on the clock if the bucket is empty."""
        with self._lock:  # one request at a time takes a token: the waits queue up as on AWS
            now = self.clock.now()
            tokens, at = self._buckets.get(operation, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            delay = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            if delay:
                self.clock.sleep(delay)
                now = self.clock.now()
                tokens = 1.0
            self._buckets[operation] = (tokens - 1, now)
            self.waited += delay
            return delay
