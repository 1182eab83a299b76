"""Every claim in SECURITY.md points at a test that exists: a claim with no test fails here.

A claim is a row of one of SECURITY.md's tables that has a test column (``tested by`` or
``test``). Its test cell must name at least one test: a path under ``tests/`` (optionally
``::test_name``) or a bare ``test_name`` / ``file::test_name`` defined somewhere under ``tests/``.
Benchmarks may be named too, but never alone. `tests/test_doc_paths.py` checks that named paths
exist; this test checks that every claim has one.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_PATH = re.compile(r"tests/[\w/.-]+\.py(?:::(\w+))?")
TEST_NAME = re.compile(r"\b(test_\w+)\b")


@cache
def _defined_tests() -> frozenset[str]:
    names = set()
    for path in (ROOT / "tests").rglob("*.py"):
        names.update(re.findall(r"^\s*(?:async )?def (test_\w+)", path.read_text(), re.M))
    return frozenset(names)


def claims(text: str) -> list[tuple[str, str]]:
    """(claim, test cell) for every row of every table with a test column."""
    rows: list[tuple[str, str]] = []
    column: int | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            column = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if column is None:
            headers = [cell.lower() for cell in cells]
            column = next((i for i, h in enumerate(headers) if h in ("tested by", "test")), -1)
            continue
        if column < 0 or set(line) <= set("|-: "):
            continue
        rows.append((cells[0], cells[column] if column < len(cells) else ""))
    return rows


def claim_problem(cell: str) -> str | None:
    """Why ``cell`` does not point at a test (None when it does)."""
    for match in TEST_PATH.finditer(cell):
        path = ROOT / match[0].split("::")[0]
        if path.is_file() and path.name.startswith("test_"):
            return None
    named = [name for name in TEST_NAME.findall(cell) if not name.endswith(".py")]
    if any(name in _defined_tests() for name in named):
        return None
    return "names no test under tests/" if not named else f"names unknown tests {named}"


def test_every_security_claim_names_a_test_that_exists() -> None:
    rows = claims((ROOT / "SECURITY.md").read_text())
    assert len(rows) >= 20, "the tables of SECURITY.md were not found"
    missing = {claim: problem for claim, cell in rows if (problem := claim_problem(cell))}
    assert missing == {}


def test_a_claim_without_a_test_is_caught() -> None:
    table = (
        "| threat | handling | code | test |\n|---|---|---|---|\n"
        "| over-broad IAM | one role per function | `deploy/iam.py` | `benchmarks/burst.py` |\n"
        "| CSRF | middleware | `console/api/routing.py` | "
        "`tests/console/test_roles.py::test_posts_without_a_csrf_token_are_refused` |\n"
        "| made up | nothing | x | `test_nothing_of_the_sort` |\n"
    )
    found = {claim: claim_problem(cell) for claim, cell in claims(table)}
    assert found == {
        "over-broad IAM": "names no test under tests/",
        "CSRF": None,
        "made up": "names unknown tests ['test_nothing_of_the_sort']",
    }
