"""The reactor base class and the typed results a reactor returns.

A reactor is a class, registered with ``@reactor``, that fixes the findings of one or more
Security Hub controls::

    @reactor
    class S3PublicReadReactor(Reactor):
        '''Remove bucket policy statements that allow public reads.

        Longer user-facing description: what changes, what stays, how rollback works.
        '''

        id = "s3-public-read"
        version = "1.0.0"
        control_ids = ("S3.2",)
        permissions = (Permission(("s3:GetBucketPolicy", "s3:PutBucketPolicy")),)
        params_schema = {"type": "object", "properties": {}, "additionalProperties": False}

        def remediate(self, finding, session, params, dry_run): ...
        def rollback(self, finding, session, rollback_data): ...

Its docstring is the user documentation (first line: the title). ``permissions`` are the IAM
actions (and resource patterns) it needs, with no wildcard actions: the installer turns them into
the reactor's own least-privilege role, and operators grant the same in the member role.
``remediate`` is called with a session in the finding's own account and returns the changes made
(or, with ``dry_run``, the changes it would make, and changes nothing) plus the data ``rollback``
needs to restore the previous state.

This module ships inside every reactor artifact: standard library and boto3 only.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from reactor_sdk.finding import Finding
from reactor_sdk.params import (
    EMPTY_SCHEMA,
    params_validate,
    schema_unsupported_keywords,
)

if TYPE_CHECKING:
    import boto3

#: Version of the reactor SDK contract (invocation event, result shape, manifest, import path):
#: 2 since the SDK became the top-level package ``reactor_sdk`` (1 was ``ouroboros.reactors``).
SDK_VERSION = "2"
#: Version of the manifest format.
MANIFEST_VERSION = 1
LAMBDA_RUNTIME = "python3.12"

REACTOR_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,39}$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
CONTROL_ID = re.compile(r"^[A-Za-z0-9]+\.\d+$")
IAM_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
RESOURCE_PATTERN = re.compile(r"^(\*|arn:[a-z*-]+:[a-z0-9*-]+:[a-z0-9*-]*:(\d{12}|\*)?:\S+)$")


@dataclass(frozen=True)
class Permission:
    """IAM actions a reactor needs, on resources matching ``resources`` (ARN patterns)."""

    actions: tuple[str, ...]
    resources: tuple[str, ...] = ("*",)

    def to_dict(self) -> dict[str, list[str]]:
        return {"actions": list(self.actions), "resources": list(self.resources)}


def permission_problems(permissions: object) -> list[str]:
    """What is wrong with a list of permissions (manifest form: dicts, or `Permission`)."""
    if not isinstance(permissions, list | tuple) or not permissions:
        return ["permissions: declare at least one permission"]
    problems: list[str] = []
    for index, entry in enumerate(permissions):
        item = entry.to_dict() if isinstance(entry, Permission) else entry
        where = f"permissions[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: expected actions and resources")
            continue
        actions, resources = item.get("actions"), item.get("resources")
        if not isinstance(actions, list | tuple) or not actions:
            problems.append(f"{where}: no actions")
            actions = []
        if not isinstance(resources, list | tuple) or not resources:
            problems.append(f"{where}: no resources")
            resources = []
        for action in actions:
            if not isinstance(action, str) or "*" in action:
                problems.append(f"{where}: wildcard or invalid action {action!r} (name each one)")
            elif not IAM_ACTION.match(action):
                problems.append(f"{where}: malformed action {action!r} (service:Action)")
        for resource in resources:
            if not isinstance(resource, str) or not RESOURCE_PATTERN.match(resource):
                problems.append(f"{where}: malformed resource {resource!r} (an ARN pattern or *)")
    return problems


@dataclass(frozen=True)
class Change:
    """One change a reactor made, or would make in a dry run."""

    action: str
    resource: str
    description: str
    before: Any = None
    after: Any = None


@dataclass
class RemediationResult:
    """What ``remediate`` or ``rollback`` did (JSON-serializable with `to_dict`)."""

    reactor_id: str
    reactor_version: str
    finding_id: str
    account_id: str
    region: str
    operation: Literal["remediate", "rollback"]
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    rollback_data: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    @property
    def status(self) -> str:
        """``changed``, ``would_change`` (dry run) or ``unchanged`` (already compliant)."""
        if not self.changes:
            return "unchanged"
        return "would_change" if self.dry_run else "changed"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status
        return data


#: The modes a reactor may recommend for its controls: ``auto`` (fix on every failing finding),
#: ``dry_run`` (report what would change; an operator applies), ``manual`` (an operator starts
#: each run): a reactor that can lock out users or cut traffic recommends one of the last two.
RECOMMENDED_MODES = ("auto", "dry_run", "manual")


class Reactor:
    """Base of every reactor (see the module docstring)."""

    id: ClassVar[str] = ""
    version: ClassVar[str] = ""
    control_ids: ClassVar[tuple[str, ...]] = ()
    permissions: ClassVar[tuple[Permission, ...]] = ()
    params_schema: ClassVar[dict[str, Any]] = EMPTY_SCHEMA
    timeout_seconds: ClassVar[int] = 60
    memory_mb: ClassVar[int] = 256
    recommended_mode: ClassVar[str] = "auto"

    def remediate(
        self,
        finding: Finding,
        session: boto3.Session,
        params: Mapping[str, Any],
        dry_run: bool,
    ) -> RemediationResult:
        """Fix ``finding`` in its account (``session``); with ``dry_run`` change nothing."""
        raise NotImplementedError

    def rollback(
        self, finding: Finding, session: boto3.Session, rollback_data: Mapping[str, Any]
    ) -> RemediationResult:
        """Restore what ``remediate`` changed, from the ``rollback_data`` it returned."""
        raise NotImplementedError

    # -- helpers for subclasses -------------------------------------------------------------

    def result(
        self,
        finding: Finding,
        *,
        dry_run: bool,
        changes: list[Change],
        rollback_data: dict[str, Any] | None = None,
        message: str = "",
        operation: Literal["remediate", "rollback"] = "remediate",
    ) -> RemediationResult:
        """A result of this reactor for ``finding``."""
        return RemediationResult(
            reactor_id=self.id,
            reactor_version=self.version,
            finding_id=finding.id,
            account_id=finding.account_id,
            region=finding.region,
            operation=operation,
            dry_run=dry_run,
            changes=changes,
            rollback_data=rollback_data or {},
            message=message,
        )

    # -- description ------------------------------------------------------------------------

    @classmethod
    def documentation(cls) -> str:
        """The class docstring, cleaned: the user-facing description."""
        return inspect.cleandoc(cls.__doc__ or "") if "__doc__" in vars(cls) else ""

    @classmethod
    def title(cls) -> str:
        """First line of the documentation."""
        doc = cls.documentation()
        return doc.splitlines()[0].strip() if doc else ""

    @classmethod
    def validate_params(cls, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """``params`` with defaults applied; `ReactorParamsError` when they break the schema."""
        return params_validate(cls.params_schema, params)

    @classmethod
    def definition_problems(cls) -> list[str]:
        """Everything a complete reactor must declare and does not (empty: complete)."""
        problems: list[str] = []
        if not REACTOR_ID.match(cls.id or ""):
            problems.append(f"id {cls.id!r}: 3-40 of a-z, 0-9, '-'")
        if not SEMVER.match(cls.version or ""):
            problems.append(f"version {cls.version!r}: expected MAJOR.MINOR.PATCH")
        if not cls.control_ids or not all(CONTROL_ID.match(c) for c in cls.control_ids):
            problems.append(f"control_ids {cls.control_ids!r}: at least one, like 'S3.2'")
        doc = cls.documentation()
        if len(doc) < 40 or "\n\n" not in doc:
            problems.append("docstring: a title line, a blank line, then a user-facing description")
        problems += permission_problems(list(cls.permissions))
        schema = cls.params_schema
        if not isinstance(schema, dict) or schema.get("type") != "object":
            problems.append("params_schema: a JSON Schema of type 'object'")
        else:
            problems += [f"params_schema {k}" for k in schema_unsupported_keywords(schema)]
        if cls.recommended_mode not in RECOMMENDED_MODES:
            problems.append(
                f"recommended_mode {cls.recommended_mode!r}: one of {RECOMMENDED_MODES}"
            )
        for method in ("remediate", "rollback"):
            if getattr(cls, method) is getattr(Reactor, method):
                problems.append(f"{method}(): not implemented")
        return problems

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The manifest fields this class defines (packaging adds package and artifact data)."""
        return {
            "manifest_version": MANIFEST_VERSION,
            "id": cls.id,
            "version": cls.version,
            "title": cls.title(),
            "description": cls.documentation(),
            "control_ids": list(cls.control_ids),
            "params_schema": cls.params_schema,
            "permissions": [p.to_dict() for p in cls.permissions],
            "entry_point": f"{cls.__module__}.handler",
            "runtime": LAMBDA_RUNTIME,
            "sdk_version": SDK_VERSION,
            "timeout_seconds": cls.timeout_seconds,
            "memory_mb": cls.memory_mb,
            "recommended_mode": cls.recommended_mode,
        }
