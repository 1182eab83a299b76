"""The rings of the code base, enforced for imports and for dotted-path strings alike.

Each ring lists the project packages its modules may import (and name in strings such as
``"lambdas.hub_verify.handler"`` or ``"console.settings.production"``, which Zappa, Django and the
local Lambda import later), and the third-party packages it may not use (or, for the SDK rings,
the only ones it may):

- ``reactor_sdk`` (the SDK inside every reactor artifact) imports nothing of the project;
  ``lambdas/reactors/**`` imports only the SDK, the standard library and boto3 / botocore;
- the core ``ouroboros`` imports neither the emulator nor the deploy package, nor Django;
- ``deploy`` may import the core, and name ``lambdas.*`` / ``console.*`` in strings;
- ``emulator`` may import the core, the deploy package and ``lambdas``;
- only ``manage.py`` and the management commands import the emulator or the deploy package.

Tests and benchmarks are outside the rings: they may import anything.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROJECT = frozenset({"ouroboros", "reactor_sdk", "emulator", "deploy", "console", "lambdas"})
FRAMEWORK = frozenset({"django", "rest_framework", "drf_spectacular", "drf_spectacular_sidecar"})
#: What the Lambda python3.12 runtime provides besides the standard library.
LAMBDA_RUNTIME = frozenset({"boto3", "botocore"})
DOTTED = re.compile(r"^([a-z_]+)(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")


@dataclass(frozen=True)
class Ring:
    """Which project packages a module may import, and which third-party packages it may use."""

    name: str
    imports: frozenset[str]
    #: extra project packages it may name in dotted-path strings (not import)
    names: frozenset[str] = frozenset()
    #: third-party packages it may not import
    forbidden: frozenset[str] = frozenset()
    #: when set, the only third-party packages it may import (the SDK rings)
    only: frozenset[str] | None = None


SDK = Ring("reactor_sdk", frozenset({"reactor_sdk"}), only=LAMBDA_RUNTIME)
REACTORS = Ring("lambdas/reactors", frozenset({"reactor_sdk"}), only=LAMBDA_RUNTIME)
CORE = Ring("ouroboros", frozenset({"ouroboros", "reactor_sdk"}), forbidden=FRAMEWORK)
LAMBDAS = Ring("lambdas", frozenset({"lambdas", "ouroboros", "reactor_sdk"}), forbidden=FRAMEWORK)
DEPLOY = Ring(
    "deploy",
    frozenset({"deploy", "ouroboros", "reactor_sdk"}),
    names=frozenset({"lambdas", "console"}),
    forbidden=FRAMEWORK,
)
EMULATOR = Ring(
    "emulator", frozenset({"emulator", "ouroboros", "reactor_sdk", "deploy", "lambdas"})
)
CONSOLE = Ring("console", frozenset({"console", "ouroboros", "reactor_sdk"}))
COMMANDS = Ring(
    "console management commands",
    frozenset({"console", "ouroboros", "reactor_sdk", "emulator", "deploy"}),
)
MANAGE = Ring("manage.py", frozenset({"console", "ouroboros", "emulator", "deploy"}))


def ring_of(relative: Path) -> Ring | None:
    """The ring a source file (path relative to the root) belongs to; None: outside the rings."""
    parts = relative.parts
    if parts == ("manage.py",):
        return MANAGE
    top = parts[0]
    if top == "reactor_sdk":
        return SDK
    if top == "lambdas":
        return REACTORS if len(parts) > 2 and parts[1] == "reactors" else LAMBDAS
    if top == "console":
        return COMMANDS if "management" in parts and "commands" in parts else CONSOLE
    return {"ouroboros": CORE, "deploy": DEPLOY, "emulator": EMULATOR}.get(top)


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring nodes of the module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def references(path: Path) -> list[tuple[str, str]]:
    """(``import`` or ``string``, dotted name) for every import and dotted-path string."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = _docstrings(tree)
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [("import", alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(("import", node.module))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            match = DOTTED.match(node.value)
            if match and match.group(1) in PROJECT:
                found.append(("string", node.value))
    return found


def violations(root: Path) -> list[str]:
    """Every import or dotted-path string under ``root`` that breaks its file's ring."""
    stdlib = sys.stdlib_module_names
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if any(part in {".venv", "node_modules", "tests", "benchmarks"} for part in relative.parts):
            continue
        ring = ring_of(relative)
        if ring is None:
            continue
        for kind, name in references(path):
            if not _allowed(ring, kind, name.split(".")[0], stdlib):
                found.append(f"{relative}: {kind} {name} ({ring.name})")
    return found


def _allowed(ring: Ring, kind: str, top: str, stdlib: frozenset[str] | set[str]) -> bool:
    """Whether a module of ``ring`` may name the top-level package ``top``."""
    if top in PROJECT:
        return top in ring.imports | (ring.names if kind == "string" else frozenset())
    if kind == "string" or top in stdlib or top == "__future__":
        return True
    if ring.only is not None:
        return top in ring.only
    return top not in ring.forbidden


def test_every_module_keeps_to_its_ring() -> None:
    assert violations(ROOT) == []


def test_the_rings_cover_every_package() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert packages == PROJECT


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_check_catches_forbidden_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "ouroboros/bad.py": "from django.conf import settings\nimport emulator.runtime\n",
            "reactor_sdk/bad.py": "import ouroboros.config\nimport requests\nimport boto3\n",
            "lambdas/reactors/x/reactor.py": "from ouroboros.aws import client\nimport json\n",
            "deploy/bad.py": "import emulator.demo\nfrom ouroboros.config import get_config\n",
            "console/views.py": "from deploy.iam import x\n",
            "console/jobs/management/commands/ok.py": "from deploy.iam import x\n",
        },
    )
    assert violations(root) == [
        "console/views.py: import deploy.iam (console)",
        "deploy/bad.py: import emulator.demo (deploy)",
        "lambdas/reactors/x/reactor.py: import ouroboros.aws (lambdas/reactors)",
        "ouroboros/bad.py: import django.conf (ouroboros)",
        "ouroboros/bad.py: import emulator.runtime (ouroboros)",
        "reactor_sdk/bad.py: import ouroboros.config (reactor_sdk)",
        "reactor_sdk/bad.py: import requests (reactor_sdk)",
    ]


def test_the_check_catches_dotted_path_strings(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "ouroboros/bad.py": (
                '"""Docstrings may mention lambdas.hub_verify.handler."""\n'
                'HANDLER = "lambdas.hub_verify.handler"\n'
                'SETTINGS = {"module": "console.settings.production"}\n'
                'SELF = "ouroboros.config"\n'
            ),
            "deploy/ok.py": 'HANDLER = "lambdas.hub_verify.handler"\nS = "console.settings.x"\n',
            "deploy/bad.py": 'LOCAL = "emulator.runtime.LocalRuntime"\n',
            "lambdas/handler.py": 'X = "deploy.functions.FUNCTIONS"\n',
        },
    )
    assert violations(root) == [
        "deploy/bad.py: string emulator.runtime.LocalRuntime (deploy)",
        "lambdas/handler.py: string deploy.functions.FUNCTIONS (lambdas)",
        "ouroboros/bad.py: string lambdas.hub_verify.handler (ouroboros)",
        "ouroboros/bad.py: string console.settings.production (ouroboros)",
    ]
