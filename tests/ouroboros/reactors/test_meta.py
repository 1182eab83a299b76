"""Meta-tests: walk the reactor registry and fail on any reactor that is not complete.

Complete means: a valid id and version, controls that exist in the catalog, a user-facing
docstring, least-privilege permissions (no wildcard actions), a parameters schema that is valid
JSON Schema in the SDK's subset (and whose defaults validate), remediate() and rollback(), a
Lambda ``handler`` in its module, and its own test module under tests/lambdas/reactors/.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from ouroboros.reactors.manifest import params_schema_problems
from ouroboros.securityhub.catalog import catalog_lookup
from reactor_sdk import REACTORS, Permission, Reactor
from reactor_sdk.errors import ReactorDefinitionError, ReactorParamsError
from reactor_sdk.registry import reactor
from tests.reactor_support import CATALOG, ROOT

TESTS = ROOT / "tests" / "lambdas" / "reactors"
PACKAGES = sorted(p.name for p in CATALOG.iterdir() if (p / "reactor.py").is_file())


def load_catalog() -> dict[str, type[Reactor]]:
    """Import every official reactor; reactor id -> class, for the catalog's packages only."""
    found = {}
    for package in PACKAGES:
        module = importlib.import_module(f"lambdas.reactors.{package}.reactor")
        found.update(
            {cls.id: cls for cls in REACTORS.values() if cls.__module__ == module.__name__}
        )
    return found


def reactor_problems(cls: type[Reactor], tests_dir: Path = TESTS) -> list[str]:
    """Everything that keeps ``cls`` from being a complete, shippable reactor."""
    problems = list(cls.definition_problems())
    problems += params_schema_problems(cls.params_schema)
    try:
        cls.validate_params({})
    except ReactorParamsError as exc:
        problems.append(f"default parameters do not validate: {exc}")
    problems += [
        f"control {c} is not in the catalog" for c in cls.control_ids if not catalog_lookup(c)
    ]
    module = sys.modules[cls.__module__]
    if not callable(getattr(module, "handler", None)):
        problems.append(f"{cls.__module__} has no Lambda handler")
    package = cls.__module__.split(".")[-2]
    if not (tests_dir / f"test_{package}.py").is_file():
        problems.append(f"no test module tests/lambdas/reactors/test_{package}.py")
    return problems


def test_the_catalog_has_at_least_ten_reactors_one_per_package() -> None:
    catalog = load_catalog()
    assert len(catalog) >= 10
    assert len(catalog) == len(PACKAGES)
    assert "s3-public-read" in catalog


@pytest.mark.parametrize("reactor_id", sorted(load_catalog()))
def test_every_registered_reactor_is_complete(reactor_id: str) -> None:
    assert reactor_problems(REACTORS[reactor_id]) == []


def test_permissions_cover_only_named_actions() -> None:
    for cls in load_catalog().values():
        for permission in cls.permissions:
            assert all("*" not in action for action in permission.actions), cls.id


# -- the meta-check itself catches what it must ----------------------------------------------


class _Undocumented(Reactor):
    id = "undocumented"
    version = "1.0.0"
    control_ids = ("S3.2",)

    def remediate(self, *args: Any) -> Any: ...

    def rollback(self, *args: Any) -> Any: ...


class _Complete(Reactor):
    """A complete reactor that nobody tested.

    It has everything the SDK asks for, but no test module: the meta-test must notice.
    """

    id = "untested-reactor"
    version = "1.0.0"
    control_ids = ("S3.2",)
    permissions = (Permission(("s3:GetBucketPolicy",)),)

    def remediate(self, *args: Any) -> Any: ...

    def rollback(self, *args: Any) -> Any: ...


def test_the_check_catches_missing_docs_permissions_and_tests(tmp_path: Path) -> None:
    problems = reactor_problems(_Undocumented, tmp_path)
    assert any(p.startswith("docstring") for p in problems)
    assert "permissions: declare at least one permission" in problems
    assert any("no test module" in p for p in problems)
    assert any("no Lambda handler" in p for p in problems)
    assert [p for p in reactor_problems(_Complete, tmp_path) if "handler" not in p] == [
        "no test module tests/lambdas/reactors/test_reactors.py"
    ]


def test_the_check_catches_wildcards_and_bad_schemas() -> None:
    class Wild(_Complete):
        """A reactor with a wildcard action.

        And a parameters schema with a keyword the SDK does not understand.
        """

        permissions = (Permission(("s3:*",)),)
        params_schema = {"type": "object", "properties": {"x": {"type": "string", "format": "uri"}}}

    problems = Wild.definition_problems()
    assert any("wildcard or invalid action 's3:*'" in p for p in problems)
    assert any("format" in p for p in problems)


def test_the_decorator_refuses_incomplete_reactors() -> None:
    with pytest.raises(ReactorDefinitionError, match="docstring"):
        reactor(_Undocumented)
    assert "undocumented" not in REACTORS
