"""pytest plugin: the strict IAM check of every AWS call a deployed function makes in the tests.

Registered from ``tests/conftest.py`` (``pytest_plugins``). While the session runs, the
`Recorder` notes each AWS call made by a deployed function (the emulator and `emulator.caller`
say which); at the end of the session `verdict_judge` evaluates each against the IAM policy
bootstrap generates for that function's role. Any call the role would refuse (or that cannot be
mapped to IAM actions) fails the run, with one line per denial naming the call, the function,
the test and the statement the role lacks. A run of a single file is judged on its own calls.

``OUROBOROS_STRICT_REPORT=<path>`` writes the whole recording and the verdict there as JSON.
``OUROBOROS_STRICT=0`` turns the check off (the recorder is still cheap when on).
Under pytest-xdist each worker judges its own calls (and writes its report to ``<path>.<worker>``)
and hands its report lines to the controller, which fails the run.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from tests.strict.recorder import Recorder
from tests.strict.verdict import Verdict, verdict_judge

REPORT_ENV = "OUROBOROS_STRICT_REPORT"
SWITCH_ENV = "OUROBOROS_STRICT"
_WORKER_KEY = "ouroboros_strict"


class StrictIamPlugin:
    """The plugin object (one per session)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.recorder = Recorder()
        self.verdict: Verdict | None = None
        self.worker_reports: list[dict[str, Any]] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        with self.recorder.recording_test(item.nodeid):
            yield

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.recorder.uninstall()
        verdict = verdict_judge(self.recorder.calls)
        self.verdict = verdict
        lines = verdict.report_lines()
        path = os.environ.get(REPORT_ENV)
        worker = getattr(self.config, "workerinput", {}).get("workerid")
        if path:  # one file per xdist worker: <path>.gw0, <path>.gw1...
            report_write(Path(f"{path}.{worker}" if worker else path), self.recorder, verdict)
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller reports and fails
            workeroutput[_WORKER_KEY] = {"ok": verdict.ok, "lines": lines}
            return
        failed = [report for report in self.worker_reports if not report["ok"]]
        if not verdict.ok or failed:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(optionalhook=True)  # an xdist hook: ``-p no:xdist`` runs too
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        report = getattr(node, "workeroutput", {}).get(_WORKER_KEY)
        if report is not None:
            self.worker_reports.append(report)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        reports = self.worker_reports  # under xdist the controller itself makes no calls
        if not reports and self.verdict is not None:
            reports = [{"ok": self.verdict.ok, "lines": self.verdict.report_lines()}]
        if not reports:
            return
        failed = any(not report["ok"] for report in reports)
        terminalreporter.section("strict IAM check", red=failed, green=not failed)
        for report in reports:
            for line in report["lines"] if not report["ok"] else report["lines"][:1]:
                terminalreporter.write_line(line)


def report_write(path: Path, recorder: Recorder, verdict: Verdict) -> None:
    """The recording and the verdict as JSON (``OUROBOROS_STRICT_REPORT``)."""
    document = {
        "summary": verdict.report_lines()[0],
        "calls": [dataclasses.asdict(call) for call in recorder.calls],
        "unattributed_calls": recorder.unattributed,
        "emulator_calls": recorder.emulator,
        "judged": verdict.judged,
        "allowed": verdict.allowed,
        "not_judged": dict(verdict.not_judged),
        "denials": [
            {
                "function": d.call.function,
                "test": d.call.test,
                "call": f"{d.call.service}.{d.call.operation}",
                "region": d.call.region,
                "needed": dataclasses.asdict(d.needed),
                "missing_statement": d.missing_statement,
                "reason": d.reason,
            }
            for d in verdict.denials
        ],
        "unmapped": verdict.unmapped,
    }
    path.write_text(json.dumps(document, indent=1, default=str))


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get(SWITCH_ENV, "1") == "0":
        return
    plugin = StrictIamPlugin(config)
    plugin.recorder.install()
    config.pluginmanager.register(plugin, "ouroboros-strict-iam")
