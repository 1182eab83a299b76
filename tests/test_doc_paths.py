"""The code paths README.md and SECURITY.md name exist: a move that leaves a document behind fails.

A path is a backticked ``a/b.py`` (optionally ``::test_name``) with at least one slash; a module
is a backticked dotted name under a project package (``console.tokens.services``), which must be a
module or a name defined in one. Bare file names (``installer.py``) are shorthand for the row's
previous path and are not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", "SECURITY.md")
PACKAGES = ("console", "ouroboros", "reactor_sdk", "emulator", "deploy", "lambdas", "reactors")
PATH = re.compile(r"`((?:[\w.-]+/)+[\w.-]+\.py)(?:::(\w+))?`")
MODULE = re.compile(r"`((?:" + "|".join(PACKAGES) + r")(?:\.\w+)+)`")
DATA_FILES = (".sqlite3", ".json", ".jsonl", ".zip")


def _module_file(dotted: str, root: Path) -> Path | None:
    """The file of the longest importable prefix of ``dotted`` (without importing it)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        base = root.joinpath(*parts[:end])
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                remaining = parts[end:]
                return candidate if len(remaining) <= 1 else None
    return None


def stale_references(text: str, root: Path) -> list[str]:
    """Every path or module ``text`` names that is not on disk under ``root``."""
    stale = []
    for match in PATH.finditer(text):
        path, test = root / match[1], match[2]
        if not path.is_file():
            stale.append(match[1])
        elif test and not re.search(rf"^(async )?def {test}\b", path.read_text(), re.M):
            stale.append(f"{match[1]}::{test}")
    for match in MODULE.finditer(text):
        dotted = match[1]
        if dotted.endswith(DATA_FILES):
            continue
        found = _module_file(dotted, root)
        if found is None:
            stale.append(dotted)
            continue
        last = dotted.rsplit(".", 1)[1]
        is_module = found.stem == last or found.parent.name == last
        defined = re.search(rf"^\s*(class |def |async def )?{last}\b", found.read_text(), re.M)
        if not is_module and not defined:
            stale.append(dotted)
    return stale


def test_documents_name_only_code_that_exists() -> None:
    stale = {name: stale_references((ROOT / name).read_text(), ROOT) for name in DOCUMENTS}
    assert stale == {name: [] for name in DOCUMENTS}


def test_the_check_catches_a_moved_file_a_moved_module_and_a_renamed_test(tmp_path: Path) -> None:
    (tmp_path / "console" / "tokens").mkdir(parents=True)
    (tmp_path / "console" / "tokens" / "__init__.py").write_text("")
    (tmp_path / "console" / "tokens" / "token_codec.py").write_text("def digest():\n    pass\n")
    text = (
        "`console/tokens/token_codec.py::digest` `console.tokens.token_codec.digest` "
        "`console/api/token_codec.py` `console.api.token_codec` "
        "`console/tokens/token_codec.py::gone` `console.tokens.token_codec.gone`"
    )
    assert stale_references(text, tmp_path) == [
        "console/api/token_codec.py",
        "console/tokens/token_codec.py::gone",
        "console.api.token_codec",
        "console.tokens.token_codec.gone",
    ]
