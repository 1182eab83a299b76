"""The local runtime's scheduler: what EventBridge schedules run on AWS, run by one thread here.

Register a job with a name and a callable taking no arguments, before or after the runtime
starts::

    from emulator.scheduler import scheduled_job_register
    scheduled_job_register("collect_findings", lambda: findings_collect(...))
    scheduled_job_register("collect_controls", controls_collect, every_seconds=600)
    scheduled_job_register("collect_findings", job, function="collect_findings")

Every job runs shortly after start (``first_delay``, 1 s by default), then every
``OUROBOROS_LOCAL_SCHEDULE_SECONDS`` seconds (default 300) or its own ``every_seconds``. Jobs run
one after the other in the scheduler thread; a job that raises is logged and recorded in
`SchedulerExtension.runs` and runs again at its next time; a slow job delays the others, never
overlaps itself. `SchedulerExtension.stop` lets the running job finish (up to a timeout) and
starts no new one. Registering a name again replaces the job.

A job that stands for a deployed function names it (``function``, a key of `deploy.functions`):
its AWS calls are attributed to that function (`emulator.caller`); other jobs run as the emulator.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.caller import EMULATOR, running_as
from emulator.securityhub_findings import now_timestamp
from ouroboros.config import get_config
from ouroboros.errors import ValidationError

if TYPE_CHECKING:
    from emulator.runtime import LocalRuntime

logger = logging.getLogger(__name__)

Job = Callable[[], object]


@dataclass(frozen=True)
class ScheduledJob:
    """A registered job."""

    name: str
    run: Job
    every_seconds: float | None = None
    #: The deployed function this job stands for (its calls are attributed to it).
    function: str | None = None


@dataclass(frozen=True)
class JobRun:
    """The outcome of one run of a job."""

    name: str
    started_at: str
    seconds: float
    ok: bool
    error: str = ""


_jobs: dict[str, ScheduledJob] = {}
_jobs_lock = threading.Lock()
_current: SchedulerExtension | None = None


def scheduled_job_register(
    name: str, job: Job, *, every_seconds: float | None = None, function: str | None = None
) -> None:
    """Run ``job()`` on the local runtime's schedule (see the module docstring)."""
    if not name:
        raise ValidationError("a scheduled job needs a name")
    if every_seconds is not None and every_seconds <= 0:
        raise ValidationError(f"job {name}: every_seconds must be positive")
    with _jobs_lock:
        _jobs[name] = ScheduledJob(name, job, every_seconds, function)


def scheduled_job_unregister(name: str) -> None:
    """Stop scheduling ``name`` (a run in progress finishes)."""
    with _jobs_lock:
        _jobs.pop(name, None)


def scheduled_jobs() -> list[ScheduledJob]:
    """The registered jobs, in registration order."""
    with _jobs_lock:
        return list(_jobs.values())


def scheduled_job_runs() -> list[JobRun]:
    """The last run of each job of the scheduler running in this process (console display)."""
    scheduler = _current
    return list(scheduler.runs.values()) if scheduler is not None else []


def schedule_interval() -> float:
    """Seconds between runs: ``OUROBOROS_LOCAL_SCHEDULE_SECONDS`` (default 300)."""
    return float(get_config().local_schedule_seconds)


class SchedulerExtension:
    """Runtime extension: runs the registered jobs (start it after everything they use)."""

    name = "scheduler"

    def __init__(self, *, interval: float | None = None, first_delay: float = 1.0) -> None:
        self.interval = interval
        self.first_delay = first_delay
        self.runs: dict[str, JobRun] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next: dict[str, float] = {}

    def start(self, runtime: LocalRuntime | None = None) -> None:
        global _current
        _current = self
        if self.interval is None:
            self.interval = schedule_interval()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="local-scheduler", daemon=True)
        self._thread.start()
        logger.info("local scheduler: every %ss, first run in %ss", self.interval, self.first_delay)

    def stop(self, timeout: float = 30) -> None:
        global _current
        if _current is self:
            _current = None
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("a scheduled job is still running after %ss", timeout)
            self._thread = None

    def _loop(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            for job in scheduled_jobs():
                due = self._next.setdefault(job.name, started + self.first_delay)
                if now >= due and not self._stop.is_set():
                    self._run(job)
                    interval = job.every_seconds or self.interval or 300
                    self._next[job.name] = time.monotonic() + interval
            self._stop.wait(self._sleep())

    def _sleep(self) -> float:
        upcoming = [self._next.get(job.name, 0.0) for job in scheduled_jobs()]
        pending = [due - time.monotonic() for due in upcoming]
        return max(0.05, min([*pending, 1.0]))

    def _run(self, job: ScheduledJob) -> None:
        started_at, began = now_timestamp(), time.monotonic()
        try:
            with running_as(job.function or EMULATOR):
                job.run()
        except Exception as exc:
            logger.exception("scheduled job %s failed", job.name)
            error = f"{type(exc).__name__}: {exc}"
            self.runs[job.name] = JobRun(
                job.name, started_at, time.monotonic() - began, False, error
            )
            return
        self.runs[job.name] = JobRun(job.name, started_at, time.monotonic() - began, True)
        logger.info("scheduled job %s done in %.2fs", job.name, time.monotonic() - began)
