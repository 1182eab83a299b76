"""mypy holds the workflow's seams: an unknown execution field, an unknown item key or a status
that is not one are type errors (what `execution_record`'s ``**fields: Any`` and the item's plain
dict let through)."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[3]

SNIPPET = """\
from ouroboros.executions.services import execution_record
from ouroboros.models.executions import ExecutionContext
from ouroboros.workflow.contracts import DispatchItem, ParseOutput


def fine(item: DispatchItem, output: ParseOutput) -> None:
    context: ExecutionContext = {"trigger": item["trigger"], "actor": item["actor"]}
    execution_record(finding=None, status="skipped", skip_reason="off", **context)
    print(output["items"][0]["idempotency_key"])


def wrong(item: DispatchItem) -> None:
    execution_record(finding=None, status="failed", colour="red")  # line 13
    execution_record(finding=None, status="exploded")  # line 14
    execution_record(finding=None, error="no status")  # line 15
    print(item["function"])  # line 16
    bad: DispatchItem = {"finding": {}, "trigger": "event"}  # line 17
"""


def test_mypy_rejects_unknown_fields_and_keys(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(SNIPPET)
    out, err, _ = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            "--hide-error-context",
            "--show-error-codes",
            str(snippet),
        ]
    )
    errors = {
        (int(m["line"]), m["code"])
        for m in re.finditer(r"snippet\.py:(?P<line>\d+): error: .*\[(?P<code>[\w-]+)\]", out)
    }
    assert errors == {
        (13, "call-arg"),  # no such execution attribute
        (14, "arg-type"),  # not a status
        (15, "call-arg"),  # status is required
        (16, "typeddict-item"),  # no such item key
        (17, "typeddict-item"),  # an item lacks keys Parse always writes
    }, out + err
