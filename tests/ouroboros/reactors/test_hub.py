"""Publishing to the Hub and verification: what is accepted, what is rejected and why."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import ConflictError
from ouroboros.models import HubReactorModel
from ouroboros.reactors.catalog import (
    hub_artifact_fetch,
    hub_artifact_url,
    hub_catalog_list,
    hub_reactor_get,
    hub_reactor_versions,
)
from ouroboros.reactors.hub import hub_artifact_key, hub_reactor_register, hub_reactor_verify
from ouroboros.reactors.manifest import MANIFEST_NAME, manifest_dumps
from ouroboros.reactors.packaging import reactor_build, sha256_hex, zip_deterministic
from tests.reactor_support import (
    built_artifact,
    hub_bucket_ensure,
    hub_publish,
    official_variant,
    tamper,
)

pytestmark = pytest.mark.functional


def _verify(artifact_id: str, version: str) -> HubReactorModel:
    return hub_reactor_verify(reactor_id=artifact_id, version=version)


def test_published_artifact_is_verified_and_listed(moto_aws: None) -> None:
    artifact = built_artifact("s3_public_read")
    hub_publish(artifact)
    assert HubReactorModel.get("s3-public-read", "1.0.0").status == "pending"
    assert hub_catalog_list().items == []  # not in the catalog before verification
    item = _verify("s3-public-read", "1.0.0")
    assert (item.status, item.status_reason, item.latest) == ("verified", None, "LATEST")
    page = hub_catalog_list()
    assert [i.reactor_id for i in page.items] == ["s3-public-read"]
    assert hub_catalog_list(search="s3.2").items[0].reactor_id == "s3-public-read"
    assert hub_catalog_list(search="PUBLIC READ").items  # case-insensitive
    assert hub_catalog_list(search="kms").items == []
    assert hub_reactor_get(reactor_id="s3-public-read").version == "1.0.0"
    data = hub_artifact_fetch(artifact_key=item.artifact_key)
    assert sha256_hex(data) == artifact.sha256
    url = hub_artifact_url(artifact_key=item.artifact_key)
    assert get_config().hub_bucket in url and "Signature" in url


def test_verification_is_idempotent(moto_aws: None) -> None:
    hub_publish(built_artifact("s3_public_read"))
    first = _verify("s3-public-read", "1.0.0")
    again = _verify("s3-public-read", "1.0.0")
    assert again.status == "verified" and again.verified_at == first.verified_at


def test_a_version_is_published_once(moto_aws: None) -> None:
    artifact = built_artifact("s3_public_read")
    hub_publish(artifact)
    with pytest.raises(ConflictError, match="already published"):
        hub_publish(artifact)


def test_tampered_stored_artifact_is_rejected_with_the_digests(moto_aws: None) -> None:
    artifact = built_artifact("s3_public_read")
    hub_publish(artifact, data=tamper(artifact.path.read_bytes()))
    item = _verify("s3-public-read", "1.0.0")
    assert item.status == "rejected"
    assert item.status_reason.startswith(f"sha256 mismatch: recorded {artifact.sha256}")
    assert item.latest is None and hub_catalog_list().items == []


def test_missing_artifact_is_rejected(moto_aws: None) -> None:
    artifact = built_artifact("s3_public_read")
    hub_bucket_ensure()
    hub_reactor_register(
        manifest=artifact.manifest,
        sha256=artifact.sha256,
        size=artifact.size,
        artifact_key="reactors/nowhere.zip",
        published_by="test",
    )
    item = _verify("s3-public-read", "1.0.0")
    assert item.status == "rejected" and "NoSuchKey" in item.status_reason


def _republish_with(artifact_path: Path, edit: dict[str, object]) -> tuple[bytes, dict]:
    """The artifact with its inner manifest edited (consistently re-registered)."""
    with zipfile.ZipFile(artifact_path) as archive:
        entries = [(n, archive.read(n)) for n in archive.namelist() if n != MANIFEST_NAME]
        manifest = json.loads(archive.read(MANIFEST_NAME))
    manifest.update(edit)
    data = zip_deterministic([*entries, (MANIFEST_NAME, manifest_dumps(manifest))])
    return data, manifest


def _register_raw(data: bytes, manifest: dict) -> None:
    bucket = hub_bucket_ensure()
    digest = sha256_hex(data)
    key = hub_artifact_key(manifest=manifest, sha256=digest)
    client("s3").put_object(Bucket=bucket, Key=key, Body=data)
    HubReactorModel(
        manifest["id"],
        manifest["version"],
        manifest=manifest,
        artifact_key=key,
        sha256=digest,
        status="pending",
    ).save()


def test_wildcard_permissions_are_rejected(moto_aws: None) -> None:
    artifact = built_artifact("s3_public_read")
    data, manifest = _republish_with(
        artifact.path, {"permissions": [{"actions": ["s3:*"], "resources": ["*"]}]}
    )
    _register_raw(data, manifest)
    item = _verify("s3-public-read", "1.0.0")
    assert item.status == "rejected"
    assert "wildcard or invalid action 's3:*'" in item.status_reason


def test_manifest_that_lies_about_the_code_is_rejected(moto_aws: None) -> None:
    artifact = built_artifact("s3_public_read")
    data, manifest = _republish_with(artifact.path, {"control_ids": ["S3.1"]})
    _register_raw(data, manifest)
    item = _verify("s3-public-read", "1.0.0")
    assert item.status == "rejected"
    assert item.status_reason == "the code declares other control_ids than the manifest"


def test_package_that_does_not_import_alone_is_rejected(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifact = built_artifact("s3_public_read")
    with zipfile.ZipFile(artifact.path) as archive:
        entries = [(n, archive.read(n)) for n in archive.namelist()]
    broken = [
        (
            n,
            d + b"\nimport jsonschema  # not in the Lambda runtime\n"
            if n.endswith("reactor.py")
            else d,
        )
        for n, d in entries
    ]
    manifest = json.loads(dict(entries)[MANIFEST_NAME])
    official_variant(monkeypatch, artifact=zip_deterministic(broken))  # its code, not its rights
    _register_raw(zip_deterministic(broken), manifest)
    item = _verify("s3-public-read", "1.0.0")
    assert item.status == "rejected"
    assert "does not import in isolation" in item.status_reason
    assert "jsonschema" in item.status_reason


def test_not_a_zip_is_rejected(moto_aws: None) -> None:
    manifest = dict(built_artifact("s3_public_read").manifest)
    _register_raw(b"definitely not a zip", manifest)
    item = _verify("s3-public-read", "1.0.0")
    assert item.status == "rejected" and "not a reactor artifact" in item.status_reason


def test_latest_moves_to_the_newest_verified_version(
    moto_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "s3_public_read"
    original = Path(built_artifact("s3_public_read").path)
    import shutil

    from tests.reactor_support import CATALOG

    shutil.copytree(CATALOG / "s3_public_read", source)
    code = (source / "reactor.py").read_text().replace('version = "1.0.0"', 'version = "1.1.0"')
    (source / "reactor.py").write_text(code)
    official_variant(monkeypatch, source)  # 1.1.0 of the official reactor
    newer = reactor_build(source=source, out_dir=tmp_path / "out")
    assert newer.sha256 != sha256_hex(original.read_bytes())
    hub_publish(built_artifact("s3_public_read"))
    _verify("s3-public-read", "1.0.0")
    hub_publish(newer)
    _verify("s3-public-read", "1.1.0")
    versions = hub_reactor_versions(reactor_id="s3-public-read")
    assert [(v.version, v.latest) for v in versions] == [("1.1.0", "LATEST"), ("1.0.0", None)]
    assert [i.version for i in hub_catalog_list().items] == ["1.1.0"]


def _cursor(value: object) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


KEY = {"reactor_id": {"S": "s3-public-read"}, "version": {"S": "1.0.0"}, "latest": {"S": "LATEST"}}


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        _cursor({"a": 1}),
        _cursor([1, 2]),
        _cursor({**KEY, "version": {"N": "1"}}),
        _cursor({**KEY, "latest": {"S": "OTHER"}}),
        _cursor({**KEY, "extra": {"S": "x"}}),
    ],
)
def test_a_cursor_the_catalog_did_not_issue_is_refused(cursor: str) -> None:
    from ouroboros.pagination import InvalidCursorError
    from ouroboros.reactors.catalog import _decode, _encode

    with pytest.raises(InvalidCursorError, match="first page"):
        _decode(cursor, "")
    issued = _encode(KEY, "")
    assert _decode(issued, "") == KEY  # what the catalog issues still resumes
    with pytest.raises(InvalidCursorError, match="another view"):
        _decode(issued, "kms")  # another search's list
