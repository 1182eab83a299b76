"""README's layout block lists every package on disk, one line each, and nothing that is not there.

A line is ``<indent><name>/  <what it is>``; two spaces of indent per level. ``<package>/`` stands
for every package inside its parent (the reactor catalog). Django's ``migrations/``,
``management/`` and ``templatetags/`` folders follow Django's conventions and are not listed.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_LISTED = frozenset({"migrations", "management", "templatetags"})
SKIPPED = frozenset({".venv", ".venv-lambda", "node_modules", ".git", "build", "tests"})
ENTRY = re.compile(r"^(?P<indent> *)(?P<name>\S+/)\s{2,}(?P<what>\S.*)$")
ANY = "<package>"


def layout_block(readme: str) -> list[str]:
    """The lines of the code block under ``## Layout``."""
    section = readme.split("\n## Layout\n", 1)[1]
    return section.split("```\n", 2)[1].splitlines()


def layout_entries(lines: list[str]) -> list[str]:
    """The folders the block lists, as paths from the root (``<package>`` kept as is)."""
    stack: list[str] = []
    paths = []
    for line in lines:
        match = ENTRY.match(line)
        assert match, f"not a layout line (name/, two spaces, what it is): {line!r}"
        indent = len(match["indent"])
        assert indent % 2 == 0 and indent // 2 <= len(stack), f"bad indent: {line!r}"
        stack = [*stack[: indent // 2], match["name"].rstrip("/")]
        paths.append("/".join(stack))
    return paths


def packages_on_disk(root: Path) -> set[str]:
    """Every folder with an ``__init__.py`` (Django's conventional folders left out)."""
    found = set()
    for init in root.rglob("__init__.py"):
        relative = init.parent.relative_to(root)
        parts = relative.parts
        if not parts or parts[0] in SKIPPED or any(p.startswith(".") for p in parts):
            continue
        if any(p in NOT_LISTED or p == "__pycache__" for p in parts):
            continue
        found.add(relative.as_posix())
    return found


def layout_problems(root: Path, readme: str) -> list[str]:
    listed = layout_entries(layout_block(readme))
    on_disk = packages_on_disk(root)
    problems = [f"listed but not on disk: {p}" for p in listed if ANY not in p]
    problems = [p for p in problems if not (root / p.split(": ", 1)[1]).is_dir()]
    covered = {p for p in listed if ANY not in p}
    for pattern in (p for p in listed if p.endswith(ANY)):
        parent = pattern[: -len(ANY) - 1]
        covered |= {p for p in on_disk if p.rpartition("/")[0] == parent}
    problems += [f"package not listed: {p}" for p in sorted(on_disk - covered)]
    return problems


def test_the_readme_layout_matches_the_packages_on_disk() -> None:
    assert layout_problems(ROOT, (ROOT / "README.md").read_text()) == []


def test_the_check_catches_a_missing_and_a_stale_line(tmp_path: Path) -> None:
    for package in ("core", "core/models", "core/new", "lambdas/reactors/a", "core/migrations"):
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "lambdas" / "__init__.py").write_text("")
    (tmp_path / "lambdas" / "reactors" / "__init__.py").write_text("")
    readme = (
        "# x\n\n## Layout\n\n```\n"
        "core/        the core\n"
        "  models/    models\n"
        "  gone/      moved away\n"
        "lambdas/     handlers\n"
        "  reactors/  catalog\n"
        "    <package>/  one each\n"
        "```\n\n## Next\n"
    )
    assert layout_problems(tmp_path, readme) == [
        "listed but not on disk: core/gone",
        "package not listed: core/new",
    ]
