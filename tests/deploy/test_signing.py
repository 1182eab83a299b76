"""The Hub's verdict signing key (bootstrap, moto) and who may write or sign verdicts (IAM)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from deploy.functions import FUNCTIONS
from deploy.iam import function_policy
from deploy.naming import Deployment
from deploy.signing import signing_key_alias, signing_key_ensure, signing_key_problems
from emulator.iam_evaluator import Request, evaluate
from ouroboros.aws import client
from ouroboros.models import HubVerdictModel

ACCOUNT = "123456789012"


def _deployment(side: str = "hub") -> Deployment:
    return Deployment(stage="dev", region="us-east-1", account=ACCOUNT, side=side)  # type: ignore[arg-type]


@pytest.mark.functional
def test_bootstrap_creates_the_key_once_and_prints_its_public_key(moto_aws: None) -> None:
    deployment = _deployment()
    first = signing_key_ensure(deployment)
    again = signing_key_ensure(deployment)
    assert (first.kind, first.name, first.action) == (
        "kms key",
        "alias/ouroboros-dev-hub-verdicts",
        "created",
    )
    assert again.action == "unchanged"
    metadata = client("kms").describe_key(KeyId=first.name)["KeyMetadata"]
    assert (metadata["KeySpec"], metadata["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    (printed,) = [d for d in again.details if d.startswith("OUROBOROS_HUB_PUBLIC_KEY=")]
    der = base64.b64decode(printed.removeprefix("OUROBOROS_HUB_PUBLIC_KEY="))
    assert der == client("kms").get_public_key(KeyId=first.name)["PublicKey"]
    key = load_der_public_key(der)
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    assert signing_key_problems(deployment) == []


@pytest.mark.functional
def test_bootstrap_repairs_a_disabled_key_and_an_alias_on_the_wrong_key(moto_aws: None) -> None:
    deployment = _deployment()
    kms = client("kms")
    signing_key_ensure(deployment)
    key_id = kms.describe_key(KeyId=signing_key_alias("dev"))["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    assert signing_key_problems(deployment) != []
    repaired = signing_key_ensure(deployment)
    assert repaired.action == "updated" and "key enabled again" in repaired.details
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]  # cannot sign
    kms.update_alias(AliasName=signing_key_alias("dev"), TargetKeyId=symmetric)
    assert signing_key_problems(deployment) != []
    moved = signing_key_ensure(deployment)
    assert moved.action == "updated" and moved.details[0].startswith(
        f"alias moved from key {symmetric}"
    )
    assert signing_key_problems(deployment) == []


def _verdict_table_arn() -> str:
    return _deployment().table_arn(HubVerdictModel.short_name, "hub")


def test_only_the_verifier_may_write_verdicts() -> None:
    """The publisher has no role of the deployment; of every deployed function's role, only
    ``hub_verify``'s allows writing the verdict table."""
    writers = []
    for spec in FUNCTIONS:
        policy = function_policy(spec, _deployment(spec.side))
        for action in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"):
            if evaluate(Request(action, _verdict_table_arn()), [policy]).allowed:
                writers.append((spec.key, action))
    assert writers == [("hub_verify", "dynamodb:PutItem")]


def test_the_installer_may_read_verdicts() -> None:
    spec = next(s for s in FUNCTIONS if s.key == "reactor_installer")
    policy = function_policy(spec, _deployment("consumer"))
    assert evaluate(Request("dynamodb:GetItem", _verdict_table_arn()), [policy]).allowed


def test_the_verifier_signs_only_with_the_key_bootstrap_aliased() -> None:
    spec = next(s for s in FUNCTIONS if s.key == "hub_verify")
    policy = function_policy(spec, _deployment())
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    def signs(aliases: list[str]) -> bool:
        context = {"kms:ResourceAliases": aliases}
        return evaluate(Request("kms:Sign", key, context), [policy]).allowed

    assert signs(["alias/ouroboros-dev-hub-verdicts"])
    assert not signs(["alias/someone-elses-key"])
    assert not signs([])
    others = [
        s.key
        for s in FUNCTIONS
        if s.key != "hub_verify"
        and evaluate(
            Request("kms:Sign", key, {"kms:ResourceAliases": [signing_key_alias("dev")]}),
            [function_policy(s, _deployment(s.side))],
        ).allowed
    ]
    assert others == []
