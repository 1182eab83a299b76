"""Writes of the Hub console: the artifact upload that ``manage.py hub_publish`` runs.

`hub_artifact_publish` uploads the artifact's bytes to the Hub's bucket through django-storages
(``settings.HUB_STORAGE``), then records the published version with the core service (status
pending; the stream verifies it), and audits the publication.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

from console.audit.services import audit_record
from ouroboros.errors import ConflictError
from ouroboros.models import HubReactorModel
from ouroboros.reactors.catalog import hub_reactor_get
from ouroboros.reactors.errors import ReactorNotFoundError
from ouroboros.reactors.hub import hub_artifact_key, hub_reactor_register
from ouroboros.reactors.packaging import Artifact


def hub_storage() -> Storage:
    """A fresh storage for the Hub's bucket (endpoints and credentials read now)."""
    return storages.create_storage(settings.HUB_STORAGE)


def hub_artifact_publish(*, artifact: Artifact, actor: str) -> HubReactorModel:
    """Upload ``artifact`` to the Hub's bucket and record it as a pending version.

    `ConflictError` (before uploading anything) when that version is published already. When
    the record cannot be written, the uploaded artifact is deleted again before the error rises.
    """
    reactor_id, version = artifact.manifest["id"], artifact.manifest["version"]
    try:
        hub_reactor_get(reactor_id=reactor_id, version=version)
    except ReactorNotFoundError:
        pass
    else:
        raise ConflictError(f"reactor {reactor_id} {version} is already published")
    key = hub_artifact_key(manifest=artifact.manifest, sha256=artifact.sha256)
    storage = hub_storage()
    stored = storage.save(key, ContentFile(artifact.path.read_bytes()))
    try:
        item = hub_reactor_register(
            manifest=artifact.manifest,
            sha256=artifact.sha256,
            size=artifact.size,
            artifact_key=stored,
            published_by=actor,
        )
    except ConflictError:  # published meanwhile: keep the bytes only if the record names them
        if hub_reactor_get(reactor_id=reactor_id, version=version).artifact_key != stored:
            storage.delete(stored)
        raise
    except Exception:
        storage.delete(stored)  # no artifact without its record; the publish can be re-run
        raise
    audit_record(
        actor_name=actor,
        action="hub.publish",
        target_type="hub_reactor",
        target_id=f"{item.reactor_id} {item.version}",
        after={"sha256": artifact.sha256, "artifact_key": stored},
    )
    return item
