"""The Hub's verdict signing key: an asymmetric KMS key the verifier signs verdicts with.

Bootstrap of the Hub (`signing_key_ensure`) creates, idempotently, a KMS key with
``KeySpec=ECC_NIST_P256`` and ``KeyUsage=SIGN_VERIFY`` and the alias
``alias/ouroboros-<stage>-hub-verdicts`` (`signing_key_alias`). The verifier function gets the
alias as ``OUROBOROS_HUB_SIGNING_KEY_ID`` (`deploy.zappa_settings`) and its role may call
``kms:Sign`` only on the key carrying that alias (`deploy.iam`, grant ``verdict_sign``).

Every run reports the key's public key in its one-line form (base64 of the DER
SubjectPublicKeyInfo): that is what consumers set as ``OUROBOROS_HUB_PUBLIC_KEY`` so their
installer can check verdicts offline (`ouroboros.reactors.verdict`). It is public: printing it
discloses nothing.

Repairs: a disabled key is enabled again; an alias that points at a key of another spec or usage
(or one pending deletion) is moved to a new key, and the report says so, because verdicts signed
by the old key stop verifying once consumers take the new public key. The key is never deleted
here (KMS only schedules deletions, 7 to 30 days out): teardown leaves it.
"""

from __future__ import annotations

import base64
from typing import Any

from deploy.functions import PROJECT
from deploy.naming import Deployment
from deploy.report import Action, ResourceReport
from ouroboros.aws import client

KEY_SPEC = "ECC_NIST_P256"
KEY_USAGE = "SIGN_VERIFY"
KIND = "kms key"


def signing_key_alias(stage: str) -> str:
    """The alias of the Hub's verdict signing key in ``stage``."""
    return f"alias/{PROJECT}-{stage}-hub-verdicts"


def _usable(metadata: dict[str, Any]) -> bool:
    spec = metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec")
    return bool(
        spec == KEY_SPEC
        and metadata.get("KeyUsage") == KEY_USAGE
        and metadata.get("KeyState") in ("Enabled", "Disabled")
    )


def _key_create(deployment: Deployment) -> str:
    kms = client("kms", region=deployment.region)
    metadata = kms.create_key(
        KeySpec=KEY_SPEC,
        KeyUsage=KEY_USAGE,
        Description=f"Ouroboros {deployment.stage}: signs the Hub's reactor verdicts",
        Tags=[
            {"TagKey": "project", "TagValue": PROJECT},
            {"TagKey": "stage", "TagValue": deployment.stage},
        ],
    )["KeyMetadata"]
    return str(metadata["KeyId"])


def signing_public_key(deployment: Deployment) -> str:
    """The signing key's public key, base64 of its DER (``OUROBOROS_HUB_PUBLIC_KEY``)."""
    kms = client("kms", region=deployment.region)
    der = kms.get_public_key(KeyId=signing_key_alias(deployment.stage))["PublicKey"]
    return base64.b64encode(der).decode()


def signing_key_ensure(deployment: Deployment) -> ResourceReport:
    """Create or repair the signing key and its alias; the report carries the public key."""
    kms = client("kms", region=deployment.region)
    alias = signing_key_alias(deployment.stage)
    details: list[str] = []
    action: Action
    try:
        metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        kms.create_alias(AliasName=alias, TargetKeyId=_key_create(deployment))
        action = "created"
    else:
        action = "unchanged"
        if not _usable(metadata):
            kms.update_alias(AliasName=alias, TargetKeyId=_key_create(deployment))
            details.append(
                f"alias moved from key {metadata['KeyId']} ({metadata.get('KeySpec')}, "
                f"{metadata.get('KeyUsage')}, {metadata.get('KeyState')}) to a new key: give "
                "consumers the new public key"
            )
        elif metadata.get("KeyState") == "Disabled":
            kms.enable_key(KeyId=metadata["KeyId"])
            details.append("key enabled again")
        if details:
            action = "updated"
    details.append(f"OUROBOROS_HUB_PUBLIC_KEY={signing_public_key(deployment)}")
    return ResourceReport(KIND, alias, action, details)


def signing_key_problems(deployment: Deployment) -> list[str]:
    """What is wrong with the signing key (for the deployment check)."""
    kms = client("kms", region=deployment.region)
    alias = signing_key_alias(deployment.stage)
    try:
        metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        return [f"{KIND} {alias} missing"]
    if not _usable(metadata) or metadata.get("KeyState") != "Enabled":
        return [
            f"{KIND} {alias}: {metadata.get('KeySpec')} {metadata.get('KeyUsage')} "
            f"{metadata.get('KeyState')}, expected {KEY_SPEC} {KEY_USAGE} Enabled"
        ]
    return []
