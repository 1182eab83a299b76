"""The Hub's writes: publishing a reactor version and verifying it.

Publishing (``manage.py hub_publish``) uploads the artifact to the Hub's bucket, then calls
`hub_reactor_register`, which writes the ``security_reactors`` item with status ``pending``
(conditional: a published version is never overwritten). The table's stream delivers the INSERT
to `hub_stream_record_handle` (Lambda ``lambdas/hub_verify.py``), which runs
`hub_reactor_verify`:

1. the stored artifact's sha256 equals the recorded one;
2. static checks, running nothing of the artifact (`ouroboros.reactors.artifact_checks`): size,
   zip structure (entries, sizes, compression ratio, no symlinks, no absolute or ``..`` names,
   no duplicates, only the declared package, the bundled SDK and the manifest), the manifest
   inside it valid (size, schema, permissions well-formed, no wildcard actions, params schema in
   the SDK subset) and equal to the published one, and the code, parsed, declaring the
   manifest's id, controls and permissions;
3. the package imports in isolation, confined (``ouroboros.reactors.isolation``: no network,
   no credentials, no data folder, as ``nobody`` under limits), and its code declares exactly
   what the manifest says (id, version, controls, permissions, parameters, entry point), with a
   callable entry point.

Then the item becomes ``verified`` (and, when it is the newest verified version, ``latest``: the
catalog shows it) or ``rejected`` with the first reason found. A verified version first gets its
signed verdict (`ouroboros.reactors.verdict`): the status is for people, the verdict is what a
consumer's installer checks. Verification is idempotent: a
redelivered record of an item that is no longer pending changes nothing.
"""

from __future__ import annotations

import json
import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from ouroboros.errors import ConflictError
from ouroboros.models import HubReactorModel
from ouroboros.reactors.artifact_checks import artifact_static_problem
from ouroboros.reactors.catalog import (
    LATEST,
    hub_artifact_fetch,
    hub_reactor_manifest,
    hub_reactor_versions,
    search_text,
    version_key,
)
from ouroboros.reactors.errors import ArtifactError, ReactorNotFoundError
from ouroboros.reactors.isolation import package_introspect
from ouroboros.reactors.manifest import manifest_core, manifest_validate
from ouroboros.reactors.names import reactor_id_problems
from ouroboros.reactors.official import trust_problems
from ouroboros.reactors.packaging import sha256_hex
from ouroboros.reactors.stream_records import StreamRecord
from ouroboros.reactors.verdict import verdict_sign

logger = logging.getLogger(__name__)

#: Manifest fields the code must declare exactly as the manifest does.
DECLARED_FIELDS = (
    "id",
    "version",
    "control_ids",
    "permissions",
    "params_schema",
    "entry_point",
    "sdk_version",
    "title",
    "description",
)


def hub_artifact_key(*, manifest: dict[str, Any], sha256: str) -> str:
    """Where an artifact lives in the Hub's bucket (its digest in the name: never overwritten
    by different bytes)."""
    return f"reactors/{manifest['id']}/{manifest['version']}/{sha256}.zip"


def hub_reactor_register(
    *,
    manifest: dict[str, Any],
    sha256: str,
    size: int,
    artifact_key: str,
    published_by: str,
) -> HubReactorModel:
    """Record a published version (status pending); `ConflictError` if it exists already."""
    manifest = manifest_validate(manifest_core(manifest))
    item = HubReactorModel(
        manifest["id"],
        manifest["version"],
        title=manifest["title"],
        description=manifest["description"],
        control_ids=list(manifest["control_ids"]),
        manifest=manifest,
        artifact_key=artifact_key,
        sha256=sha256,
        size=size,
        status="pending",
        published_by=published_by,
        published_at=datetime.now(UTC),
        search_text=search_text(manifest),
    )
    try:
        item.save(condition=HubReactorModel.reactor_id.does_not_exist())
    except PutError as exc:
        if "ConditionalCheckFailed" in str(exc):
            raise ConflictError(
                f"reactor {manifest['id']} {manifest['version']} is already published; "
                "publish a new version instead"
            ) from exc
        raise
    logger.info("published %s %s (%s)", manifest["id"], manifest["version"], sha256)
    return item


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _code_problem(data: bytes, manifest: dict[str, Any]) -> str | None:
    """What importing the package, confined (`package_introspect` with ``confined``), reveals
    against the manifest."""
    with tempfile.TemporaryDirectory(prefix="ouroboros-verify-") as tmp:
        path = Path(tmp) / "artifact.zip"
        path.write_bytes(data)
        found = package_introspect(path, package=manifest["package"], confined=True)
    if found.errors:
        return f"the package does not import in isolation: {found.errors[0]}"
    if len(found.reactors) != 1:
        return f"expected exactly one reactor in the package, found {len(found.reactors)}"
    declared = found.reactors[0]
    if declared.get("problems"):
        return "the reactor is incomplete: " + "; ".join(declared["problems"])
    if not declared.get("entry_point_callable"):
        return f"entry point {manifest['entry_point']} is not callable"
    differ = [f for f in DECLARED_FIELDS if _canonical(declared.get(f)) != _canonical(manifest[f])]
    if differ:
        return "the code declares other " + ", ".join(differ) + " than the manifest"
    return None


def verification_problem(item: HubReactorModel, data: bytes) -> str | None:
    """Why ``data`` (the stored artifact of ``item``) must be rejected, or None.

    Static checks come first and run nothing of the artifact (`artifact_static_problem`: size,
    zip structure, manifest schema, contents, the code's declarations parsed); only an artifact
    that passes them is imported, confined.
    """
    actual = sha256_hex(data)
    if actual != item.sha256:
        return f"sha256 mismatch: recorded {item.sha256}, stored artifact has {actual}"
    problem, inner = artifact_static_problem(data)
    if problem:
        return problem
    if _canonical(inner) != _canonical(hub_reactor_manifest(item)):
        return "the manifest inside the artifact differs from the published manifest"
    if (inner["id"], inner["version"]) != (item.reactor_id, item.version):
        return f"the artifact is {inner['id']} {inner['version']}"
    trust = reactor_id_problems(inner["id"]) + trust_problems(inner, data)  # dangerous: official
    if trust:
        return "; ".join(trust)
    return _code_problem(data, inner)


def _newest_verified(item: HubReactorModel) -> bool:
    """Whether ``item`` is newer than every other verified version of its reactor."""
    others = [
        v
        for v in hub_reactor_versions(reactor_id=item.reactor_id)
        if v.status == "verified" and v.version != item.version
    ]
    return all(version_key(item.version) > version_key(v.version) for v in others)


def _latest_move(item: HubReactorModel) -> None:
    """``item`` became the latest: the older versions stop carrying ``latest``."""
    for other in hub_reactor_versions(reactor_id=item.reactor_id):
        if other.version != item.version and other.latest:
            other.update(actions=[HubReactorModel.latest.remove()])


def hub_reactor_verify(*, reactor_id: str, version: str) -> HubReactorModel:
    """Verify a pending version (see the module docstring); returns the item as it ends."""
    try:
        item = HubReactorModel.get(reactor_id, version, consistent_read=True)
    except HubReactorModel.DoesNotExist:
        raise ReactorNotFoundError(f"no reactor {reactor_id} {version} in the Hub") from None
    if item.status != "pending":
        return item
    try:
        reason = verification_problem(item, hub_artifact_fetch(artifact_key=item.artifact_key))
    except ArtifactError as exc:
        reason = str(exc)
    status = "rejected" if reason else "verified"
    if not reason:
        # Signed before the status changes: a failure to sign (KMS unreachable) raises and
        # leaves the item pending, so the stream delivers it again.
        verdict_sign(
            reactor_id=item.reactor_id,
            version=item.version,
            sha256=item.sha256,
            permissions=hub_reactor_manifest(item)["permissions"],
        )
    latest = not reason and _newest_verified(item)
    actions: list[Action] = [
        HubReactorModel.status.set(status),
        HubReactorModel.status_reason.set(reason)
        if reason
        else HubReactorModel.status_reason.remove(),
        HubReactorModel.verified_at.set(datetime.now(UTC)),
    ]
    if latest:
        actions.append(HubReactorModel.latest.set(LATEST))  # in the catalog with its status
    try:
        item.update(actions=actions, condition=HubReactorModel.status == "pending")
    except UpdateError as exc:
        if "ConditionalCheckFailed" in str(exc):
            return HubReactorModel.get(reactor_id, version, consistent_read=True)
        raise
    if latest:
        _latest_move(item)
    logger.info("hub verification of %s %s: %s %s", reactor_id, version, status, reason or "")
    return item


def hub_stream_record_handle(record: StreamRecord) -> str:
    """Handle one ``security_reactors`` stream record; returns what was done."""
    image = record.new_image
    if record.event_name != "INSERT" or not image or image.get("status") != "pending":
        return "ignored"
    item = hub_reactor_verify(reactor_id=image["reactor_id"], version=image["version"])
    return item.status
