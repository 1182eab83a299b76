"""Meta-tests: walk the reactor registry and fail on any reactor that is not complete.

Complete means: a valid id and version, controls that exist in the catalog (or in Security Hub's
consolidation table, for CIS and PCI controls outside FSBP), a user-facing
docstring, least-privilege permissions (no wildcard actions), a parameters schema that is valid
JSON Schema in the SDK's subset (and whose defaults validate), remediate() and rollback(), a
Lambda ``handler`` in its module, and a scenario for each control id it declares in its package's
``scenarios.py`` (which the harness, tests/lambdas/reactors/test_scenarios.py, runs).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from ouroboros.reactors.manifest import params_schema_problems
from ouroboros.securityhub.catalog import catalog_controls
from reactor_sdk import REACTORS, Permission, Reactor
from reactor_sdk.errors import ReactorDefinitionError, ReactorParamsError
from reactor_sdk.registry import reactor
from tests.reactor_support import CATALOG

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


@functools.cache
def security_control_ids_known() -> frozenset[str]:
    """Control ids (lower case) of the shipped FSBP catalog and of Security Hub's consolidation
    table, which also names the CIS and PCI controls outside FSBP (IAM.11 to IAM.17)."""
    table = resources.files("ouroboros.securityhub").joinpath("data/consolidation_id_mappings.json")
    rows = json.loads(table.read_text())["control_id_title_map"]
    return frozenset(
        {c.control_id.lower() for c in catalog_controls()}
        | {row["security_control_id"].lower() for row in rows}
    )


def scenario_control_ids(package_dir: Path) -> set[str]:
    """The control ids the package's ``scenarios.py`` has a scenario for (none: no file)."""
    path = package_dir / "scenarios.py"
    if not path.is_file():
        return set()
    spec = importlib.util.spec_from_file_location(f"_scenarios_of_{package_dir.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {scenario.control_id for scenario in getattr(module, "SCENARIOS", [])}


def reactor_problems(cls: type[Reactor], catalog: Path = CATALOG) -> list[str]:
    """Everything that keeps ``cls`` from being a complete, shippable reactor."""
    problems = list(cls.definition_problems())
    problems += params_schema_problems(cls.params_schema)
    try:
        cls.validate_params({})
    except ReactorParamsError as exc:
        problems.append(f"default parameters do not validate: {exc}")
    known = security_control_ids_known()
    problems += [
        f"control {c} is not in the catalog" for c in cls.control_ids if c.lower() not in known
    ]
    module = sys.modules[cls.__module__]
    if not callable(getattr(module, "handler", None)):
        problems.append(f"{cls.__module__} has no Lambda handler")
    package = cls.__module__.split(".")[-2]
    covered = scenario_control_ids(catalog / package)
    problems += [
        f"control {c}: no scenario in lambdas/reactors/{package}/scenarios.py"
        for c in cls.control_ids
        if c not in covered
    ]
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


def pinned_regions(permissions: tuple[Permission, ...]) -> list[str]:
    """The resource ARNs of ``permissions`` that name one region (neither ``*`` nor empty)."""
    return [
        resource
        for permission in permissions
        for resource in permission.resources
        if resource.startswith("arn:") and resource.split(":")[3] not in ("", "*")
    ]


def test_no_permission_is_pinned_to_one_region() -> None:
    """Issue 24: reactors act in the finding's own region, and the member role (the union of
    their permissions) must allow it there: no declared resource names one region."""
    assert {cls.id: pinned_regions(cls.permissions) for cls in load_catalog().values()} == {
        reactor_id: [] for reactor_id in load_catalog()
    }
    pinned = Permission(("sqs:SetQueueAttributes",), ("arn:aws:sqs:us-east-1:*:*",))
    assert pinned_regions((pinned,)) == ["arn:aws:sqs:us-east-1:*:*"]


# -- the meta-check itself catches what it must ----------------------------------------------


class _Undocumented(Reactor):
    id = "undocumented"
    version = "1.0.0"
    control_ids = ("S3.2",)

    def remediate(self, *args: Any) -> Any: ...

    def rollback(self, *args: Any) -> Any: ...


class _Complete(Reactor):
    """A complete reactor that nobody tested.

    It has everything the SDK asks for, but no scenario: the meta-test must notice.
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
    assert any("no scenario" in p for p in problems)
    assert any("no Lambda handler" in p for p in problems)
    assert [p for p in reactor_problems(_Complete, tmp_path) if "handler" not in p] == [
        "control S3.2: no scenario in lambdas/reactors/reactors/scenarios.py"
    ]


def test_the_check_wants_a_scenario_per_declared_control(tmp_path: Path) -> None:
    class TwoControls(_Complete):
        """A complete reactor of two controls.

        Its package has a scenario for S3.2 only: the meta-test must name S3.8.
        """

        control_ids = ("S3.2", "S3.8")

    package = tmp_path / "reactors"  # this module's package name, as reactor_problems reads it
    package.mkdir()
    (package / "scenarios.py").write_text(
        "from reactor_sdk.testing import Scenario\n"
        "SCENARIOS = [Scenario('S3.2', 'x.json', print, print, bool)]\n"
    )
    problems = [p for p in reactor_problems(TwoControls, tmp_path) if "handler" not in p]
    assert problems == ["control S3.8: no scenario in lambdas/reactors/reactors/scenarios.py"]


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
