"""The three rings: ouroboros/ (core) never imports Django, DRF, console/ or lambdas/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("django", "rest_framework", "drf_spectacular", "console", "lambdas")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def forbidden_imports(package: Path) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        for name in _imports(path):
            if name.split(".")[0] in FORBIDDEN:
                found.append(f"{path.relative_to(ROOT)}: {name}")
    return found


def test_core_imports_no_framework_nor_outer_rings() -> None:
    assert forbidden_imports(ROOT / "ouroboros") == []


def test_the_check_catches_a_violation(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("from django.conf import settings\nimport lambdas.x\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert forbidden_imports(tmp_path) == ["bad.py: django.conf", "bad.py: lambdas.x"]
    finally:
        ROOT = saved
