"""The Hub's signed verdict: the installer installs only what the verifier signed (moto).

Attack 2 of issue 16 ("verified" is just a field) is reproduced: whoever can publish writes the
Hub's record with ``status=verified`` for code the verifier rejects, and an operator asks for it.
"""

from __future__ import annotations

import base64
import json
import stat
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from deploy.naming import Deployment
from deploy.signing import signing_key_ensure
from ouroboros.aws import client
from ouroboros.config import get_config, reset_config
from ouroboros.models import HubReactorModel, HubVerdictModel, LocalReactorModel
from ouroboros.reactors.hub import hub_artifact_key, hub_reactor_verify, verification_problem
from ouroboros.reactors.installer import (
    InstallOutcome,
    reactor_function_name,
    reactor_stream_record_handle,
)
from ouroboros.reactors.manifest import MANIFEST_NAME, manifest_dumps
from ouroboros.reactors.packaging import sha256_hex, zip_deterministic
from ouroboros.reactors.services import reactor_install
from ouroboros.reactors.stream_records import StreamRecord
from ouroboros.reactors.verdict import (
    LOCAL_KEY_FILE,
    VerdictError,
    public_key_text,
    verdict_check,
    verdict_public_key,
    verdict_statement,
)
from tests.reactor_support import (
    built_artifact,
    hub_bucket_ensure,
    hub_publish,
    iam_role_exists,
    lambda_function_exists,
)

pytestmark = pytest.mark.functional

REACTOR = "kms-key-rotation"  # an official reactor that needs no approval to install
PACKAGE = "kms_key_rotation"


def _install(reactor_id: str) -> InstallOutcome:
    """An operator asks for ``reactor_id``; the installer handles the stream record."""
    reactor_install(reactor_id=reactor_id, actor="operator")
    item = LocalReactorModel.get(reactor_id)
    image = {"reactor_id": reactor_id, "version": item.version, "status": item.status}
    keys = {"reactor_id": reactor_id}
    return reactor_stream_record_handle(StreamRecord("e1", "INSERT", keys, image, None, "1", "arn"))


def _nothing_created(reactor_id: str) -> None:
    name = reactor_function_name(reactor_id)
    assert not lambda_function_exists(name) and not iam_role_exists(name)
    assert client("lambda").list_functions()["Functions"] == []
    item = LocalReactorModel.get(reactor_id)
    assert item.status == "failed" and item.function_arn is None


def _published_and_verified() -> HubVerdictModel:
    hub_publish(built_artifact(PACKAGE))
    item = hub_reactor_verify(reactor_id=REACTOR, version="1.0.0")
    assert item.status == "verified", item.status_reason
    return HubVerdictModel.get(REACTOR, "1.0.0")


def _lying_artifact() -> tuple[bytes, dict[str, Any]]:
    """The official package under another id in its manifest: the code still declares
    ``kms-key-rotation``, so the verifier rejects it."""
    with zipfile.ZipFile(built_artifact(PACKAGE).path) as archive:
        entries = [(n, archive.read(n)) for n in archive.namelist() if n != MANIFEST_NAME]
        manifest = json.loads(archive.read(MANIFEST_NAME))
    manifest["id"] = "innocent-helper"
    return zip_deterministic([*entries, (MANIFEST_NAME, manifest_dumps(manifest))]), manifest


def _publisher_writes_verified(data: bytes, manifest: dict[str, Any]) -> HubReactorModel:
    """What the publisher's credentials allow: the bucket and ``security_reactors``, directly."""
    digest = sha256_hex(data)
    key = hub_artifact_key(manifest=manifest, sha256=digest)
    client("s3").put_object(Bucket=hub_bucket_ensure(), Key=key, Body=data)
    item = HubReactorModel(
        manifest["id"],
        manifest["version"],
        manifest=manifest,
        artifact_key=key,
        sha256=digest,
        status="verified",
        latest="LATEST",
    )
    item.save()
    return item


def _forged(statement: str, key: ec.EllipticCurvePrivateKey) -> str:
    return base64.b64encode(key.sign(statement.encode(), ec.ECDSA(hashes.SHA256()))).decode()


@pytest.mark.parametrize("verdict", ["absent", "forged"])
def test_a_record_written_verified_by_the_publisher_is_not_installed(
    moto_aws: None, verdict: str
) -> None:
    _published_and_verified()  # the Hub has a key and a genuine verdict for another reactor
    data, manifest = _lying_artifact()
    _publisher_writes_verified(data, manifest)
    # The code the record calls verified is what the verifier rejects:
    stored = HubReactorModel.get("innocent-helper", manifest["version"])
    assert verification_problem(stored, data) is not None
    if verdict == "forged":  # the publisher signs its own verdict, with its own key
        statement = verdict_statement(
            reactor_id="innocent-helper",
            version=manifest["version"],
            sha256=sha256_hex(data),
            permissions=manifest["permissions"],
        )
        HubVerdictModel(
            "innocent-helper",
            manifest["version"],
            statement=statement,
            signature=_forged(statement, ec.generate_private_key(ec.SECP256R1())),
            algorithm="ECDSA_SHA_256",
            key_id="publisher",
            signed_at=datetime.now(UTC),
        ).save()
    outcome = _install("innocent-helper")
    assert outcome.action == "failed"
    expected = {
        "absent": "the Hub has no signed verdict for innocent-helper",
        "forged": "the signature of the Hub's verdict for innocent-helper",
    }[verdict]
    assert outcome.reason.startswith(expected), outcome.reason
    assert outcome.reason.endswith("refused, nothing was created")
    assert LocalReactorModel.get("innocent-helper").status_reason == outcome.reason
    _nothing_created("innocent-helper")


def _tamper_statement(verdict: HubVerdictModel, **fields: str) -> None:
    statement = json.loads(verdict.statement)
    statement.update(fields)
    verdict.statement = json.dumps(statement, sort_keys=True, separators=(",", ":"))
    verdict.save()


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("sha256", "the Hub's verdict is for sha256 " + "0" * 64),
        ("permissions_sha256", "the Hub's verdict covers other permissions"),
    ],
)
def test_a_tampered_verdict_is_refused(moto_aws: None, field: str, reason: str) -> None:
    verdict = _published_and_verified()
    _tamper_statement(verdict, **{field: "0" * 64})
    outcome = _install(REACTOR)
    assert outcome.action == "failed" and outcome.reason.startswith(reason), outcome.reason
    _nothing_created(REACTOR)


def test_a_verdict_kept_for_swapped_bytes_and_permissions_is_refused(moto_aws: None) -> None:
    """The publisher swaps the artifact for one declaring more, updates the Hub's record (sha256,
    manifest) and keeps the genuine verdict: it covers the old bytes only."""
    _published_and_verified()
    with zipfile.ZipFile(built_artifact(PACKAGE).path) as archive:
        entries = [(n, archive.read(n)) for n in archive.namelist() if n != MANIFEST_NAME]
        manifest = json.loads(archive.read(MANIFEST_NAME))
    manifest["permissions"] = [
        *manifest["permissions"],
        {"actions": ["kms:DisableKeyRotation"], "resources": ["*"]},
    ]
    data = zip_deterministic([*entries, (MANIFEST_NAME, manifest_dumps(manifest))])
    _publisher_writes_verified(data, manifest)
    outcome = _install(REACTOR)
    assert outcome.action == "failed"
    assert outcome.reason.startswith(
        f"the Hub's verdict is for sha256 {built_artifact(PACKAGE).sha256}"
    )
    _nothing_created(REACTOR)


def test_a_verdict_signed_by_another_key_is_refused(moto_aws: None) -> None:
    verdict = _published_and_verified()
    verdict.signature = _forged(verdict.statement, ec.generate_private_key(ec.SECP256R1()))
    verdict.save()
    outcome = _install(REACTOR)
    assert outcome.action == "failed"
    assert outcome.reason.startswith(f"the signature of the Hub's verdict for {REACTOR} 1.0.0")
    _nothing_created(REACTOR)


def test_a_genuine_verdict_from_another_hub_is_refused(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The consumer trusts the key it is configured with, not whichever key signed."""
    _published_and_verified()
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    monkeypatch.setenv("OUROBOROS_HUB_PUBLIC_KEY", public_key_text(other))
    reset_config()
    outcome = _install(REACTOR)
    assert outcome.action == "failed" and "does not verify" in outcome.reason
    _nothing_created(REACTOR)


def test_the_local_key_signs_and_the_verified_version_installs(moto_aws: None) -> None:
    verdict = _published_and_verified()
    path = get_config().data_dir / LOCAL_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "the signing key is owner-only"
    assert verdict.key_id.startswith("local:") and verdict.algorithm == "ECDSA_SHA_256"
    assert json.loads(verdict.statement)["sha256"] == built_artifact(PACKAGE).sha256
    outcome = _install(REACTOR)
    assert outcome.action == "installed", outcome.reason
    assert lambda_function_exists(reactor_function_name(REACTOR))


def test_the_kms_key_bootstrap_creates_signs_and_the_consumer_checks_offline(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = Deployment(stage="dev", region="us-east-1", account="123456789012", side="hub")
    report = signing_key_ensure(deployment)
    public = report.details[-1].removeprefix("OUROBOROS_HUB_PUBLIC_KEY=")
    monkeypatch.setenv("OUROBOROS_HUB_SIGNING_KEY_ID", report.name)
    reset_config()
    verdict = _published_and_verified()
    assert verdict.key_id.startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert not (get_config().data_dir / LOCAL_KEY_FILE).exists(), "no local key in KMS mode"
    # Without the Hub's public key configured, a consumer trusts nothing.
    refused = _install(REACTOR)
    assert refused.action == "failed"
    assert refused.reason.startswith("no Hub public key is configured")
    _nothing_created(REACTOR)
    monkeypatch.setenv("OUROBOROS_HUB_PUBLIC_KEY", public)
    reset_config()
    LocalReactorModel.get(REACTOR).delete()
    outcome = _install(REACTOR)
    assert outcome.action == "installed", outcome.reason


def test_a_deployed_installer_never_falls_back_to_a_key_file(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _published_and_verified()  # the local key exists in the data folder
    monkeypatch.setenv("OUROBOROS_RUNTIME", "aws")
    reset_config()
    with pytest.raises(VerdictError, match="no Hub public key is configured"):
        verdict_public_key()


@pytest.mark.parametrize("value", ["not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n"])
def test_a_malformed_public_key_setting_is_a_clear_refusal(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    _published_and_verified()
    monkeypatch.setenv("OUROBOROS_HUB_PUBLIC_KEY", value)
    reset_config()
    with pytest.raises(VerdictError, match="OUROBOROS_HUB_PUBLIC_KEY is not a public key"):
        verdict_check(
            reactor_id=REACTOR,
            version="1.0.0",
            sha256=built_artifact(PACKAGE).sha256,
            permissions=built_artifact(PACKAGE).manifest["permissions"],
        )


def test_the_pem_form_of_the_public_key_is_accepted(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _published_and_verified()
    pem = (
        verdict_public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    monkeypatch.setenv("OUROBOROS_HUB_PUBLIC_KEY", pem)
    reset_config()
    assert _install(REACTOR).action == "installed"


def test_a_deployed_verifier_without_its_kms_key_signs_nothing(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUROBOROS_RUNTIME", "aws")
    reset_config()
    hub_publish(built_artifact(PACKAGE))
    # Only the signing is under test here (a deployed verifier's import is another matter).
    monkeypatch.setattr("ouroboros.reactors.hub.verification_problem", lambda item, data: None)
    with pytest.raises(VerdictError, match="OUROBOROS_HUB_SIGNING_KEY_ID is not set"):
        hub_reactor_verify(reactor_id=REACTOR, version="1.0.0")
    assert HubReactorModel.get(REACTOR, "1.0.0").status == "pending", "the stream retries it"
    assert not (get_config().data_dir / LOCAL_KEY_FILE).exists()
