"""The local runtime's scheduler (unit tier: no AWS; waits on events, never asserts timing)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from emulator.scheduler import (
    SchedulerExtension,
    schedule_interval,
    scheduled_job_register,
    scheduled_job_runs,
    scheduled_job_unregister,
    scheduled_jobs,
)
from ouroboros.config import ConfigError, get_config, reset_config
from ouroboros.errors import ValidationError


@pytest.fixture(autouse=True)
def no_jobs() -> Iterator[None]:
    for job in scheduled_jobs():
        scheduled_job_unregister(job.name)
    yield
    for job in scheduled_jobs():
        scheduled_job_unregister(job.name)


def _counter(times: int) -> tuple[list[int], threading.Event]:
    runs: list[int] = []
    done = threading.Event()

    def job() -> None:
        runs.append(1)
        if len(runs) >= times:
            done.set()

    scheduled_job_register("count", job)
    return runs, done


def test_jobs_run_soon_after_start_and_again_every_interval() -> None:
    runs, done = _counter(3)
    scheduler = SchedulerExtension(interval=0.05, first_delay=0)
    scheduler.start()
    try:
        assert done.wait(10)
    finally:
        scheduler.stop()
    assert scheduler.runs["count"].ok
    assert scheduled_job_runs() == []  # stopped: this process runs no scheduler any more
    settled = len(runs)
    time.sleep(0.2)  # several intervals: a stopped scheduler runs nothing more
    assert len(runs) == settled


def test_a_failing_job_is_recorded_and_does_not_stop_the_others() -> None:
    attempts: list[int] = []
    failed_twice = threading.Event()

    def broken() -> None:
        attempts.append(1)
        if len(attempts) >= 2:
            failed_twice.set()
        raise RuntimeError("collector down")

    scheduled_job_register("broken", broken)
    _, done = _counter(2)
    scheduler = SchedulerExtension(interval=0.05, first_delay=0)
    scheduler.start()
    try:
        assert failed_twice.wait(10) and done.wait(10)
        runs_seen = {run.name: run.ok for run in scheduled_job_runs()}
    finally:
        scheduler.stop()
    assert runs_seen == {"broken": False, "count": True}
    assert not scheduler.runs["broken"].ok
    assert scheduler.runs["broken"].error == "RuntimeError: collector down"
    assert scheduler.runs["count"].ok


def test_a_job_registered_after_start_runs_too() -> None:
    scheduler = SchedulerExtension(interval=0.05, first_delay=0)
    scheduler.start()
    try:
        ran = threading.Event()
        scheduled_job_register("late", ran.set)
        assert ran.wait(10)
    finally:
        scheduler.stop()


def test_stop_waits_for_the_running_job_and_starts_no_new_one() -> None:
    started, release = threading.Event(), threading.Event()
    runs: list[int] = []

    def slow() -> None:
        runs.append(1)
        started.set()
        release.wait(10)

    scheduled_job_register("slow", slow)
    scheduler = SchedulerExtension(interval=0.01, first_delay=0)
    scheduler.start()
    assert started.wait(10)
    stopper = threading.Thread(target=scheduler.stop)
    stopper.start()
    release.set()
    stopper.join(10)
    assert not stopper.is_alive()
    assert runs == [1]
    assert scheduler.runs["slow"].ok


def test_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert schedule_interval() == 300
    monkeypatch.setenv("OUROBOROS_LOCAL_SCHEDULE_SECONDS", "15")
    reset_config()
    assert schedule_interval() == 15
    monkeypatch.setenv("OUROBOROS_LOCAL_SCHEDULE_SECONDS", "0")
    reset_config()
    with pytest.raises(ConfigError):
        get_config()


def test_registration_needs_a_name_and_a_positive_interval() -> None:
    with pytest.raises(ValidationError):
        scheduled_job_register("", print)
    with pytest.raises(ValidationError):
        scheduled_job_register("x", print, every_seconds=0)
    scheduled_job_register("x", print, every_seconds=5)
    scheduled_job_register("x", print, every_seconds=7)
    assert [(j.name, j.every_seconds) for j in scheduled_jobs()] == [("x", 7)]
