"""The Hub's signed verdict: what makes a reactor version installable, beyond a status field.

A ``status`` of ``verified`` in ``security_reactors`` is only a field: whoever can publish (write
that table) can write it. So the verifier (``hub_verify``) also signs a **statement** of what it
verified and stores it in ``security_reactor_verdicts`` (`HubVerdictModel`), a table only the
verifier's role may write (`deploy.iam`, grant ``verdict_sign``). The consumer's installer checks
the signature offline against the Hub's public key and refuses, before creating anything, a
version without a verdict, with a verdict for other bytes or permissions, or signed by another key.

The statement is canonical JSON (sorted keys, no spaces, ASCII) of::

    {"kind": "ouroboros-reactor-verdict/1", "verdict": "verified", "reactor_id": ...,
     "version": ..., "sha256": <artifact digest>, "permissions_sha256": <digest of the declared
     permissions as canonical JSON>}

The permissions enter through their SHA-256 so that the signed message stays far below KMS's
4,096-byte limit for ``MessageType=RAW`` whatever a reactor declares (binding them by digest is as
strong as signing them whole); the installer recomputes every field from the artifact it is about
to install, so nothing stored beside the signature is trusted.

Signing (ECDSA P-256 with SHA-256, ``ECDSA_SHA_256``; signatures DER-encoded as KMS returns them):

- ``OUROBOROS_HUB_SIGNING_KEY_ID`` set (every deployed Hub: bootstrap creates the key, an
  ``ECC_NIST_P256`` / ``SIGN_VERIFY`` KMS key with the alias
  ``alias/ouroboros-<stage>-hub-verdicts``, and the generated Zappa settings name it): AWS KMS
  ``Sign``; the private key never leaves KMS.
- unset: a local key, ``<data dir>/hub-signing-key.pem`` (PKCS#8, created on first use with mode
  0600, like the console's secret key file), through the ``cryptography`` package. Only outside
  AWS: a deployed verifier without the setting refuses to sign (the version stays pending and
  the stream retries), rather than sign with a key that dies with its ``/tmp``.

Checking needs the Hub's public key, never the Hub: ``OUROBOROS_HUB_PUBLIC_KEY`` holds it (PEM, or
the base64 of its DER SubjectPublicKeyInfo, the one-line form bootstrap prints). Unset, only the
local runtime (where one data folder holds both roles) falls back to the public half of its own
local key; a deployed installer without it refuses every install, saying which setting is missing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import ValidationError
from ouroboros.models import HubVerdictModel

VERDICT_KIND = "ouroboros-reactor-verdict/1"
ALGORITHM = "ECDSA_SHA_256"
LOCAL_KEY_FILE = "hub-signing-key.pem"
#: KMS refuses a ``RAW`` message longer than this.
KMS_RAW_LIMIT = 4096


class VerdictError(ValidationError):
    """A verdict is missing, does not match the artifact, or does not verify; or no key to
    sign or check with is configured."""


def canonical_json(value: Any) -> str:
    """The one serialization signatures are computed over (sorted keys, no spaces, ASCII)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def permissions_digest(permissions: list[dict[str, Any]]) -> str:
    """SHA-256 (hex) of the declared permissions as canonical JSON."""
    return hashlib.sha256(canonical_json(permissions).encode()).hexdigest()


def verdict_statement(
    *, reactor_id: str, version: str, sha256: str, permissions: list[dict[str, Any]]
) -> str:
    """The statement the verifier signs for one verified artifact (see the module docstring)."""
    statement = canonical_json(
        {
            "kind": VERDICT_KIND,
            "verdict": "verified",
            "reactor_id": reactor_id,
            "version": version,
            "sha256": sha256,
            "permissions_sha256": permissions_digest(permissions),
        }
    )
    if len(statement.encode()) > KMS_RAW_LIMIT:
        raise VerdictError(f"the verdict of {reactor_id} {version} is too long to sign")
    return statement


# --- signing (the Hub) ---------------------------------------------------------------------


class VerdictSigner(Protocol):
    """Signs statements; ``key_id`` names the key in the verdict."""

    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


def _public_fingerprint(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def local_key_path() -> Path:
    """Where the local runtime keeps the Hub's signing key."""
    return get_config().data_dir / LOCAL_KEY_FILE


def _local_key_create(path: Path) -> None:
    """Write a new P-256 private key to ``path``, owner-only; a concurrent creator wins."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)


def _local_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise VerdictError(f"{path} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise VerdictError(f"{path} is not a P-256 key")
    return key


class LocalVerdictSigner:
    """The local runtime's signer: the P-256 key in the data folder (created when missing)."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            _local_key_create(path)
        self._key = _local_private_key(path)

    @property
    def key_id(self) -> str:
        return f"local:{_public_fingerprint(self._key.public_key())}"

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message, ec.ECDSA(hashes.SHA256()))


class KmsVerdictSigner:
    """Signs with an asymmetric KMS key (``ECC_NIST_P256``, ``SIGN_VERIFY``)."""

    def __init__(self, key_id: str) -> None:
        self._requested = key_id
        self._key_arn = ""

    @property
    def key_id(self) -> str:
        return self._key_arn or self._requested

    def sign(self, message: bytes) -> bytes:
        response = client("kms").sign(
            KeyId=self._requested,
            Message=message,
            MessageType="RAW",
            SigningAlgorithm=ALGORITHM,
        )
        self._key_arn = str(response.get("KeyId") or self._requested)
        return bytes(response["Signature"])


def verdict_signer() -> VerdictSigner:
    """The signer the configuration selects (KMS when ``OUROBOROS_HUB_SIGNING_KEY_ID`` is set)."""
    config = get_config()
    if config.hub_signing_key_id:
        return KmsVerdictSigner(config.hub_signing_key_id)
    if not config.local_runtime:  # a key file in a function's /tmp would die with it
        raise VerdictError(
            "OUROBOROS_HUB_SIGNING_KEY_ID is not set: a deployed verifier signs with the KMS key "
            "`manage.py bootstrap --role hub` creates"
        )
    return LocalVerdictSigner(local_key_path())


def verdict_sign(
    *,
    reactor_id: str,
    version: str,
    sha256: str,
    permissions: list[dict[str, Any]],
    signer: VerdictSigner | None = None,
) -> HubVerdictModel:
    """Sign the verdict of a verified artifact and store it (the verifier only)."""
    signer = signer or verdict_signer()
    statement = verdict_statement(
        reactor_id=reactor_id, version=version, sha256=sha256, permissions=permissions
    )
    signature = signer.sign(statement.encode())
    verdict = HubVerdictModel(
        reactor_id,
        version,
        statement=statement,
        signature=base64.b64encode(signature).decode(),
        algorithm=ALGORITHM,
        key_id=signer.key_id,
        signed_at=datetime.now(UTC),
    )
    verdict.save()
    return verdict


# --- checking (the consumer) ---------------------------------------------------------------


def public_key_text(public_key: ec.EllipticCurvePublicKey) -> str:
    """The one-line form of a public key ``OUROBOROS_HUB_PUBLIC_KEY`` accepts (base64 DER)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def public_key_load(text: str, *, source: str) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from PEM or base64 DER; `VerdictError` naming ``source`` otherwise."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, UnsupportedAlgorithm, binascii.Error) as exc:
        raise VerdictError(f"{source} is not a public key (PEM or base64 DER)") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise VerdictError(f"{source} is not a P-256 (ECC_NIST_P256) public key")
    return key


def verdict_public_key() -> ec.EllipticCurvePublicKey:
    """The Hub's public key the configuration names (see the module docstring)."""
    config = get_config()
    if config.hub_public_key:
        return public_key_load(config.hub_public_key, source="OUROBOROS_HUB_PUBLIC_KEY")
    path = local_key_path()
    if config.local_runtime and not config.hub_signing_key_id and path.is_file():
        return _local_private_key(path).public_key()
    raise VerdictError(
        "no Hub public key is configured: set OUROBOROS_HUB_PUBLIC_KEY to the public key "
        "`manage.py bootstrap --role hub` prints"
    )


def _mismatch(stored: str, expected: dict[str, Any]) -> str | None:
    """Which signed field differs from what is being installed (None: the statements agree)."""
    try:
        fields = json.loads(stored)
    except ValueError:
        return "the Hub's verdict is not a statement"
    if not isinstance(fields, dict) or fields.get("kind") != VERDICT_KIND:
        return "the Hub's verdict is not a reactor verdict"
    if fields.get("sha256") != expected["sha256"]:
        return (
            f"the Hub's verdict is for sha256 {fields.get('sha256')}, the artifact has "
            f"{expected['sha256']}"
        )
    if fields.get("permissions_sha256") != expected["permissions_sha256"]:
        return "the Hub's verdict covers other permissions than the artifact declares"
    for name in ("reactor_id", "version", "verdict"):
        if fields.get(name) != expected[name]:
            return f"the Hub's verdict is for {name} {fields.get(name)!r}, not {expected[name]!r}"
    return None


def verdict_check(
    *, reactor_id: str, version: str, sha256: str, permissions: list[dict[str, Any]]
) -> HubVerdictModel:
    """The Hub's verdict on exactly this artifact, checked; `VerdictError` says why not."""
    public_key = verdict_public_key()
    try:
        verdict = HubVerdictModel.get(reactor_id, version, consistent_read=True)
    except HubVerdictModel.DoesNotExist:
        raise VerdictError(
            f"the Hub has no signed verdict for {reactor_id} {version} (a status of verified "
            "alone is not trusted)"
        ) from None
    expected_text = verdict_statement(
        reactor_id=reactor_id, version=version, sha256=sha256, permissions=permissions
    )
    mismatch = _mismatch(verdict.statement, json.loads(expected_text))
    if mismatch:
        raise VerdictError(mismatch)
    if verdict.algorithm != ALGORITHM:
        raise VerdictError(f"the Hub's verdict uses {verdict.algorithm}, expected {ALGORITHM}")
    try:
        signature = base64.b64decode(verdict.signature, validate=True)
        public_key.verify(signature, expected_text.encode(), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise VerdictError(
            f"the signature of the Hub's verdict for {reactor_id} {version} does not verify "
            "with the Hub's public key"
        ) from None
    return verdict
