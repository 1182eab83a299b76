"""The reactor manifest: its JSON Schema and the checks packaging and the Hub apply to it.

A manifest describes one reactor artifact. It is written inside the zip (``MANIFEST_NAME``) and
beside it (``<id>-<version>.manifest.json``, plus the zip's ``sha256`` and ``size``)::

    manifest_version  1
    id, version       "s3-public-read", "1.0.0"
    title, description  the reactor's docstring (first line, then all of it)
    control_ids       ["S3.2"]
    params_schema     JSON Schema of the parameters (SDK subset, see reactor_sdk.params)
    permissions       [{"actions": ["s3:GetBucketPolicy", ...], "resources": ["arn:aws:s3:::*"]}]
    package           top-level package in the zip, "s3_public_read"
    entry_point       Lambda handler, "s3_public_read.reactor.handler"
    runtime           "python3.12"
    sdk_version       reactor SDK contract version
    timeout_seconds, memory_mb  the Lambda function's settings
    recommended_mode  optional: "auto", "dry_run" or "manual", the mode the reactor recommends

The declared permissions become the reactor's session policy in member accounts
(`reactor_sdk.session.session_policy`): a manifest whose policy cannot fit in AWS's 2,048
characters is refused here, where the Hub verifies and the installer checks. Dangerous actions
(`ouroboros.reactors.dangerous_actions`) are the business of `ouroboros.reactors.official`, which
needs the artifact's bytes, not only its manifest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ouroboros.reactors.errors import ManifestError
from reactor_sdk.base import (
    CONTROL_ID,
    LAMBDA_RUNTIME,
    MANIFEST_VERSION,
    REACTOR_ID,
    SDK_VERSION,
    SEMVER,
    permission_problems,
)
from reactor_sdk.params import schema_unsupported_keywords
from reactor_sdk.session import SESSION_POLICY_MAX_CHARS, session_policy_json

MANIFEST_NAME = "ouroboros-manifest.json"

MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "manifest_version",
        "id",
        "version",
        "title",
        "description",
        "control_ids",
        "params_schema",
        "permissions",
        "package",
        "entry_point",
        "runtime",
        "sdk_version",
        "timeout_seconds",
        "memory_mb",
    ],
    "properties": {
        "manifest_version": {"const": MANIFEST_VERSION},
        "id": {"type": "string", "pattern": REACTOR_ID.pattern},
        "version": {"type": "string", "pattern": SEMVER.pattern},
        "title": {"type": "string", "minLength": 3, "maxLength": 200},
        "description": {"type": "string", "minLength": 40, "maxLength": 8000},
        "control_ids": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": CONTROL_ID.pattern},
        },
        "params_schema": {"type": "object"},
        "permissions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["actions", "resources"],
                "properties": {
                    "actions": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                    "resources": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                },
            },
        },
        "package": {"type": "string", "pattern": r"^[a-z_][a-z0-9_]*$"},
        "entry_point": {"type": "string", "pattern": r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+$"},
        "runtime": {"const": LAMBDA_RUNTIME},
        "sdk_version": {"type": "string", "minLength": 1},
        "timeout_seconds": {"type": "integer", "minimum": 3, "maximum": 900},
        "memory_mb": {"type": "integer", "minimum": 128, "maximum": 10240},
        # Optional (artifacts built before it recommend nothing: auto).
        "recommended_mode": {"enum": ["auto", "dry_run", "manual"]},
        # Only beside the zip (the zip cannot hold its own digest).
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "size": {"type": "integer", "minimum": 1},
    },
}

_VALIDATOR = Draft202012Validator(MANIFEST_SCHEMA)


def manifest_problems(manifest: object) -> list[str]:
    """Every way ``manifest`` breaks the schema and the rules (empty: valid)."""
    if not isinstance(manifest, Mapping):
        return ["manifest: expected a JSON object"]
    problems = [
        f"{'/'.join(str(p) for p in error.absolute_path) or 'manifest'}: {error.message}"
        for error in sorted(_VALIDATOR.iter_errors(manifest), key=lambda e: list(e.path))
    ]
    permission_errors = permission_problems(manifest.get("permissions"))
    problems += permission_errors or session_policy_problems(manifest["permissions"])
    entry, package = manifest.get("entry_point"), manifest.get("package")
    if isinstance(entry, str) and isinstance(package, str) and not entry.startswith(f"{package}."):
        problems.append(f"entry_point {entry!r} is outside package {package!r}")
    schema = manifest.get("params_schema")
    if isinstance(schema, Mapping):
        problems += params_schema_problems(schema)
    problems += sdk_version_problems(manifest.get("sdk_version"))
    return sorted(set(problems))


def session_policy_problems(permissions: list[Any]) -> list[str]:
    """Whether well-formed ``permissions`` fit in one session policy (AWS: 2,048 characters)."""
    length = len(session_policy_json(permissions))
    if length <= SESSION_POLICY_MAX_CHARS:
        return []
    return [
        f"permissions: the session policy they make is {length} characters, over AWS's "
        f"{SESSION_POLICY_MAX_CHARS}; declare fewer actions or resources"
    ]


def sdk_version_problems(version: object) -> list[str]:
    """Whether an artifact speaks this Ouroboros's reactor SDK contract (`SDK_VERSION`).

    SDK 1 artifacts import ``ouroboros.reactors``, which no longer holds the SDK: they are refused
    with what to do instead of failing with an import error when the reactor runs.
    """
    if not isinstance(version, str) or version == SDK_VERSION:
        return []
    return [
        f"sdk_version {version!r}: this Ouroboros runs reactor SDK {SDK_VERSION} (reactors import "
        "reactor_sdk); rebuild the artifact with reactor_build and publish it as a new version "
        "(a local runtime started before the upgrade: `make clean` starts it afresh)"
    ]


def params_schema_problems(schema: Mapping[str, Any]) -> list[str]:
    """Whether ``schema`` is valid JSON Schema, of type object, in the SDK's keyword subset."""
    problems = []
    try:
        Draft202012Validator.check_schema(dict(schema))
    except SchemaError as exc:
        problems.append(f"params_schema: invalid JSON Schema: {exc.message}")
    if schema.get("type") != "object":
        problems.append("params_schema: type must be 'object'")
    problems += [f"params_schema: unsupported {k}" for k in schema_unsupported_keywords(schema)]
    return problems


def manifest_validate(manifest: object) -> dict[str, Any]:
    """``manifest`` as a dict when valid; `ManifestError` naming every problem otherwise."""
    problems = manifest_problems(manifest)
    if problems:
        raise ManifestError("invalid manifest: " + "; ".join(problems))
    assert isinstance(manifest, Mapping)
    return dict(manifest)


def manifest_dumps(manifest: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a manifest (sorted keys, fixed indentation, trailing newline)."""
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def manifest_core(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest without the fields that only exist beside the zip (sha256, size)."""
    return {k: v for k, v in manifest.items() if k not in ("sha256", "size")}
