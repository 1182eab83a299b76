"""The manifest schema and rules."""

from __future__ import annotations

from typing import Any

import pytest

from ouroboros.reactors.errors import ManifestError
from ouroboros.reactors.manifest import manifest_problems, manifest_validate
from tests.reactor_support import built_artifact


def _manifest(**changes: Any) -> dict[str, Any]:
    return {**built_artifact("s3_public_read").manifest, **changes}


def test_a_built_manifest_is_valid() -> None:
    assert manifest_validate(_manifest())["id"] == "s3-public-read"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"id": "S3 Fixer"}, "id: 'S3 Fixer' does not match"),
        ({"version": "1.0"}, "version: '1.0' does not match"),
        ({"control_ids": []}, "control_ids: [] should be non-empty"),
        ({"runtime": "python3.9"}, "runtime: 'python3.12' was expected"),
        (
            {"permissions": [{"actions": ["*"], "resources": ["*"]}]},
            "wildcard or invalid action '*'",
        ),
        ({"permissions": [{"actions": ["GetObject"], "resources": ["*"]}]}, "malformed action"),
        (
            {"permissions": [{"actions": ["s3:GetObject"], "resources": ["bucket"]}]},
            "malformed resource",
        ),
        ({"entry_point": "other.reactor.handler"}, "is outside package"),
        (
            {"params_schema": {"type": "object", "properties": {"a": {"type": "nope"}}}},
            "invalid JSON Schema",
        ),
        ({"params_schema": {"type": "object", "oneOf": []}}, "unsupported /: oneOf"),
        ({"extra": 1}, "Additional properties are not allowed"),
    ],
)
def test_what_is_refused_and_why(changes: dict[str, Any], problem: str) -> None:
    problems = manifest_problems(_manifest(**changes))
    assert any(problem in p for p in problems), problems
    with pytest.raises(ManifestError, match="invalid manifest"):
        manifest_validate(_manifest(**changes))


def test_not_an_object() -> None:
    assert manifest_problems([1, 2]) == ["manifest: expected a JSON object"]


def test_an_artifact_of_the_old_sdk_is_refused_with_what_to_do() -> None:
    """SDK 1 artifacts import ``ouroboros.reactors``, which no longer holds the SDK: refused by
    the manifest check (Hub verification, install, the local Lambda) instead of an ImportError
    when the reactor runs."""
    assert _manifest()["sdk_version"] == "2"
    [problem] = manifest_problems(_manifest(sdk_version="1"))
    assert "sdk_version '1'" in problem
    assert "rebuild the artifact with reactor_build" in problem and "make clean" in problem
    with pytest.raises(ManifestError, match="reactor SDK 2"):
        manifest_validate(_manifest(sdk_version="1"))
