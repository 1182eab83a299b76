"""``reactor_build`` and ``hub_publish`` (to the Hub's bucket through django-storages)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from console.audit.models import AuditEntry
from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.models import HubReactorModel
from tests.reactor_support import CATALOG, built_artifact, hub_bucket_ensure

pytestmark = [pytest.mark.functional, pytest.mark.django_db]


def test_reactor_build_prints_a_reproducible_digest(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command(
        "reactor_build", str(CATALOG / "s3_public_read"), "--out", str(tmp_path), stdout=out
    )
    assert f"sha256:   {built_artifact('s3_public_read').sha256}" in out.getvalue()
    assert (tmp_path / "s3-public-read-1.0.0.zip").is_file()
    assert (tmp_path / "s3-public-read-1.0.0.manifest.json").is_file()


def test_reactor_build_reports_bad_packages(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not a Python package"):
        call_command("reactor_build", str(tmp_path))


def test_hub_publish_uploads_and_records_pending(moto_aws: None) -> None:
    bucket = hub_bucket_ensure()
    artifact = built_artifact("s3_public_read")
    out = io.StringIO()
    call_command("hub_publish", str(artifact.path), "--as", "release-bot", stdout=out)
    assert "published s3-public-read 1.0.0" in out.getvalue()
    item = HubReactorModel.get("s3-public-read", "1.0.0")
    assert (item.status, item.published_by, item.sha256) == (
        "pending",
        "release-bot",
        artifact.sha256,
    )
    stored = client("s3").get_object(Bucket=bucket, Key=item.artifact_key)["Body"].read()
    assert stored == artifact.path.read_bytes()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.via, entry.actor_name) == ("hub.publish", "cli", "release-bot")
    assert entry.target_id == "s3-public-read 1.0.0" and entry.after["sha256"] == artifact.sha256
    assert get_config().hub_bucket == bucket

    with pytest.raises(CommandError, match="1 of 1 not published"):
        call_command("hub_publish", str(artifact.path), stdout=io.StringIO())
    call_command("hub_publish", str(artifact.path), "--skip-existing", stdout=io.StringIO())


def test_hub_publish_builds_folders(moto_aws: None) -> None:
    hub_bucket_ensure()
    call_command("hub_publish", str(CATALOG / "kms_key_rotation"), stdout=io.StringIO())
    assert HubReactorModel.get("kms-key-rotation", "1.0.0").status == "pending"
