"""Installing, upgrading and uninstalling reactors in a consumer account, and reading them.

These services only write ``security_local_reactors``; the installer does the AWS work when the
table's stream delivers the change (see `ouroboros.reactors.installer`). Every write is
conditional, so two operators clicking at once never both win:

- `reactor_install`: a verified Hub version -> item ``installing`` (or again after ``failed``);
- `reactor_upgrade`: an installed (or failed) reactor -> another verified version, ``installing``;
- `reactor_uninstall`: delete the item (refused while installing, or while controls use it).

A reactor that declares dangerous actions (`ouroboros.reactors.dangerous_actions`: only official
reactors may, `ouroboros.reactors.official`) is installed or upgraded only with
``approved_actions`` equal to exactly those actions: the caller (the console, for an admin who was
shown the list) records the approval on the item, and the installer checks it again. A reserved
id (`ouroboros.reactors.names`) is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from ouroboros.models import ControlModel, HubReactorModel, LocalReactorModel
from ouroboros.reactors.catalog import (
    LATEST,
    hub_reactor_get,
    hub_reactor_manifest,
    version_key,
)
from ouroboros.reactors.dangerous_actions import manifest_dangerous_actions
from ouroboros.reactors.errors import (
    ReactorApprovalError,
    ReactorNameError,
    ReactorNotFoundError,
    ReactorStateError,
)
from ouroboros.reactors.names import reactor_id_problems
from ouroboros.reactors.official import approval_problems


def _conditional_failed(exc: Exception) -> bool:
    return "ConditionalCheckFailed" in str(exc)


def _verified(reactor_id: str, version: str | None) -> HubReactorModel:
    hub = hub_reactor_get(reactor_id=reactor_id, version=version)
    if hub.status != "verified":
        raise ReactorStateError(
            f"{reactor_id} {hub.version} is {hub.status} in the Hub, not verified"
        )
    return hub


def reactor_approval_required(*, reactor_id: str, version: str | None = None) -> list[str]:
    """The dangerous actions an admin must approve to install this verified version."""
    return manifest_dangerous_actions(hub_reactor_manifest(_verified(reactor_id, version)))


def _approved(
    hub: HubReactorModel, approved_actions: Sequence[str] | None, actor: str
) -> tuple[list[str] | None, str | None]:
    """The approval to record (actions, by whom); `ReactorApprovalError` when it is not exact."""
    manifest = hub_reactor_manifest(hub)
    problems = approval_problems(manifest, approved_actions)
    if problems:
        raise ReactorApprovalError("; ".join(problems) + "; nothing was installed")
    dangerous = manifest_dangerous_actions(manifest)
    return (dangerous, actor) if dangerous else (None, None)


def reactor_install(
    *,
    reactor_id: str,
    version: str | None = None,
    actor: str,
    approved_actions: Sequence[str] | None = None,
) -> LocalReactorModel:
    """Ask to install ``reactor_id`` (default: its latest verified version).

    ``approved_actions``: the dangerous actions an admin approved, exactly those the version
    declares (`reactor_approval_required`); `ReactorApprovalError` otherwise.
    """
    problems = reactor_id_problems(reactor_id)
    if problems:
        raise ReactorNameError("; ".join(problems))
    hub = _verified(reactor_id, version)
    approved, approved_by = _approved(hub, approved_actions, actor)
    now = datetime.now(UTC)
    item = LocalReactorModel(
        reactor_id,
        version=hub.version,
        sha256=hub.sha256,
        artifact_key=hub.artifact_key,
        manifest=hub_reactor_manifest(hub),
        status="installing",
        installed_by=actor,
        requested_at=now,
        updated_at=now,
        approved_actions=approved,
        approved_by=approved_by,
    )
    try:
        item.save(
            condition=LocalReactorModel.reactor_id.does_not_exist()
            | (LocalReactorModel.status == "failed")
        )
    except PutError as exc:
        if _conditional_failed(exc):
            current = reactor_installed_get(reactor_id=reactor_id)
            raise ReactorStateError(
                f"{reactor_id} is already {current.status} ({current.version}); "
                "upgrade or uninstall it instead"
            ) from exc
        raise
    return item


def reactor_upgrade(
    *,
    reactor_id: str,
    version: str | None = None,
    actor: str,
    approved_actions: Sequence[str] | None = None,
) -> LocalReactorModel:
    """Move an installed (or failed) reactor to another verified version (default: latest);
    ``approved_actions`` as for `reactor_install`, for the new version."""
    item = reactor_installed_get(reactor_id=reactor_id)
    hub = _verified(reactor_id, version)
    if hub.version == item.version and item.status == "installed":
        raise ReactorStateError(f"{reactor_id} is already at {hub.version}")
    if item.status not in ("installed", "failed"):
        raise ReactorStateError(f"{reactor_id} is {item.status}; wait until it settles")
    approved, _ = _approved(hub, approved_actions, actor)
    approval = (
        [
            LocalReactorModel.approved_actions.set(approved),
            LocalReactorModel.approved_by.set(actor),
        ]
        if approved
        else [LocalReactorModel.approved_actions.remove(), LocalReactorModel.approved_by.remove()]
    )
    try:
        item.update(
            actions=[
                LocalReactorModel.previous_version.set(item.version),
                LocalReactorModel.version.set(hub.version),
                LocalReactorModel.sha256.set(hub.sha256),
                LocalReactorModel.artifact_key.set(hub.artifact_key),
                LocalReactorModel.manifest.set(hub_reactor_manifest(hub)),
                LocalReactorModel.status.set("installing"),
                LocalReactorModel.status_reason.remove(),
                LocalReactorModel.installed_by.set(actor),
                LocalReactorModel.requested_at.set(datetime.now(UTC)),
                LocalReactorModel.updated_at.set(datetime.now(UTC)),
                *approval,
            ],
            condition=(LocalReactorModel.status == item.status)
            & (LocalReactorModel.version == item.version),
        )
    except UpdateError as exc:
        if _conditional_failed(exc):
            raise ReactorStateError(f"{reactor_id} changed meanwhile; reload and retry") from exc
        raise
    return item


def reactor_uninstall(*, reactor_id: str, actor: str) -> LocalReactorModel:
    """Ask to uninstall ``reactor_id`` (the installer deletes its function and role); the item
    as it was before."""
    item = reactor_installed_get(reactor_id=reactor_id)
    if item.status == "installing":
        raise ReactorStateError(f"{reactor_id} is installing; wait until it settles")
    assigned = [c.control_id for c in ControlModel.reactor_index.query(reactor_id, limit=3)]
    if assigned:
        raise ReactorStateError(
            f"{reactor_id} is assigned to controls ({', '.join(assigned)}...); unassign it first"
        )
    try:
        item.delete(condition=LocalReactorModel.status == item.status)
    except DeleteError as exc:
        if _conditional_failed(exc):
            raise ReactorStateError(f"{reactor_id} changed meanwhile; reload and retry") from exc
        raise
    return item


def reactor_installed_list() -> list[LocalReactorModel]:
    """Every reactor installed (or installing, or failed) in this account, by id."""
    return list(LocalReactorModel.kind_index.query("REACTOR"))


def reactor_installed_get(*, reactor_id: str) -> LocalReactorModel:
    """One installed reactor; `ReactorNotFoundError` when it is not installed."""
    try:
        return LocalReactorModel.get(reactor_id, consistent_read=True)
    except LocalReactorModel.DoesNotExist:
        raise ReactorNotFoundError(f"reactor {reactor_id} is not installed") from None


def reactor_upgrades_available(installed: list[LocalReactorModel]) -> dict[str, str]:
    """For each installed reactor with a newer verified version in the Hub: that version."""
    wanted = {item.reactor_id: item.version for item in installed}
    if not wanted:
        return {}
    latest = {item.reactor_id: item.version for item in HubReactorModel.catalog_index.query(LATEST)}
    return {
        reactor_id: latest[reactor_id]
        for reactor_id, current in wanted.items()
        if reactor_id in latest and version_key(latest[reactor_id]) > version_key(current)
    }
