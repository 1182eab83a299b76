"""Contract of ``statemachine/``: statelint-valid, every Task retries and catches, every error
name is a class in the code, every function placeholder has a handler module."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from statelint.linter import Linter

import ouroboros.errors
from deploy.functions import FUNCTIONS
from deploy.naming import Deployment
from deploy.workflow import definition_placeholders, definition_render

ROOT = Path(__file__).resolve().parents[3]
DEFINITION = ROOT / "statemachine" / "security_hub_finding_reactor.asl.json"
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


def states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in definition["States"].items():
        yield name, state
        for inner in (state.get("Iterator"), state.get("ItemProcessor")):
            if inner:
                yield from states(inner)
        for branch in state.get("Branches", []):
            yield from states(branch)


def rendered() -> dict[str, Any]:
    tasks = [s for s in FUNCTIONS if s.placeholder]
    deployment = Deployment(
        stage="dev", region="us-east-1", account="123456789012", side="consumer"
    )
    return dict(json.loads(definition_render(tasks, deployment)))


def test_the_rendered_definition_passes_statelint() -> None:
    assert Linter.validate(rendered()) == []


def test_statelint_does_catch_a_broken_definition() -> None:
    broken = rendered()
    broken["States"]["Process Findings"]["Next"] = "Nowhere"
    assert Linter.validate(broken)


def test_every_task_retries_lambda_errors_and_catches_everything() -> None:
    tasks = [(n, s) for n, s in states(rendered()) if s["Type"] == "Task"]
    assert len(tasks) == 4
    for name, task in tasks:
        retry = next(r for r in task["Retry"] if set(r["ErrorEquals"]) >= LAMBDA_ERRORS)
        assert (retry["IntervalSeconds"], retry["MaxAttempts"], retry["BackoffRate"]) == (2, 6, 2)
        assert any("States.ALL" in c["ErrorEquals"] for c in task["Catch"]), name


def test_every_error_name_is_a_class_of_ouroboros_errors() -> None:
    names: set[str] = set()
    for _, state in states(json.loads(DEFINITION.read_text())):
        for clause in state.get("Retry", []) + state.get("Catch", []):
            names.update(clause["ErrorEquals"])
        if state["Type"] == "Fail":
            names.add(state["Error"])
    ours = {n for n in names if not n.startswith(("States.", "Lambda."))}
    assert ours, "the definition names at least one error of ours"
    for name in ours:
        cls = getattr(ouroboros.errors, name, None)
        assert isinstance(cls, type) and issubclass(cls, ouroboros.errors.OuroborosError), name


def test_every_placeholder_has_an_enabled_task_function_with_a_handler() -> None:
    placeholders = definition_placeholders(DEFINITION.read_text())
    by_placeholder = {s.placeholder: s for s in FUNCTIONS if s.placeholder}
    assert placeholders == set(by_placeholder)
    for name in placeholders:
        spec = by_placeholder[name]
        assert not spec.planned, spec.key
        module = importlib.import_module(spec.module)
        assert callable(getattr(module, spec.handler.rsplit(".", 1)[1]))
