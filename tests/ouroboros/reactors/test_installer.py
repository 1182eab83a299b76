"""The consumer's installer: install, refuse tampered artifacts, upgrade, uninstall (moto)."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ouroboros.aws import client
from ouroboros.models import LocalReactorModel
from ouroboros.reactors.hub import hub_reactor_verify
from ouroboros.reactors.installer import (
    reactor_function_name,
    reactor_role_policy,
    reactor_stream_record_handle,
)
from ouroboros.reactors.packaging import reactor_build
from ouroboros.reactors.services import reactor_install, reactor_uninstall, reactor_upgrade
from ouroboros.reactors.stream_records import StreamRecord
from tests.reactor_support import (
    CATALOG,
    approval,
    built_artifact,
    hub_publish,
    iam_role_exists,
    lambda_function_exists,
    official_variant,
    tamper,
)

pytestmark = pytest.mark.functional

FUNCTION = "ouroboros-dev-rx-s3-public-read"


def _record(
    name: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None
) -> StreamRecord:
    keys = {"reactor_id": (new or old or {})["reactor_id"]}
    return StreamRecord("e1", name, keys, new, old, "1", "arn")  # type: ignore[arg-type]


def _image(reactor_id: str = "s3-public-read") -> dict[str, Any]:
    item = LocalReactorModel.get(reactor_id)
    return {
        "reactor_id": item.reactor_id,
        "version": item.version,
        "status": item.status,
        "function_name": item.function_name,
    }


def _published(data: bytes | None = None) -> None:
    hub_publish(built_artifact("s3_public_read"), data=data)
    hub_reactor_verify(reactor_id="s3-public-read", version="1.0.0")


def test_install_creates_least_privilege_role_and_function(moto_aws: None) -> None:
    _published()
    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="alice"
    )
    outcome = reactor_stream_record_handle(_record("INSERT", _image()))
    assert outcome.action == "installed", outcome.reason
    item = LocalReactorModel.get("s3-public-read")
    assert item.status == "installed" and item.status_reason is None
    function = client("lambda").get_function(FunctionName=FUNCTION)["Configuration"]
    assert item.function_arn == function["FunctionArn"]
    assert function["Runtime"] == "python3.12"
    assert function["Handler"] == "s3_public_read.reactor.handler"
    artifact = built_artifact("s3_public_read")
    assert function["CodeSha256"] == base64.b64encode(bytes.fromhex(artifact.sha256)).decode()
    iam = client("iam")
    role = iam.get_role(RoleName=FUNCTION)["Role"]
    assert role["Arn"] == function["Role"] == item.role_arn
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    policy = iam.get_role_policy(RoleName=FUNCTION, PolicyName="ouroboros-reactor")[
        "PolicyDocument"
    ]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    actions = sorted(a for s in policy["Statement"] for a in s["Action"])
    assert "s3:PutBucketPolicy" in actions and "sts:AssumeRole" in actions
    assert not any("*" in a for a in actions)


def test_role_policy_is_the_manifest_plus_member_role_and_logs() -> None:
    manifest = {"permissions": [{"actions": ["kms:EnableKeyRotation"], "resources": ["*"]}]}
    policy = reactor_role_policy(manifest, "fn")
    assert [s["Sid"] for s in policy["Statement"]] == ["Reactor0", "AssumeMemberRole", "OwnLogs"]
    assert policy["Statement"][1]["Resource"] == [
        "arn:aws:iam::*:role/OuroborosMemberRemediationRole"
    ]
    assert policy["Statement"][2]["Resource"] == ["arn:aws:logs:*:*:log-group:/aws/lambda/fn:*"]


def test_tampered_artifact_is_refused_and_nothing_is_created(moto_aws: None) -> None:
    _published()
    artifact = built_artifact("s3_public_read")
    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="alice"
    )
    # After verification, one byte of the stored artifact changes.
    key = LocalReactorModel.get("s3-public-read").artifact_key
    from ouroboros.config import get_config

    client("s3").put_object(
        Bucket=get_config().hub_bucket, Key=key, Body=tamper(artifact.path.read_bytes())
    )
    outcome = reactor_stream_record_handle(_record("INSERT", _image()))
    assert outcome.action == "failed"
    stored = LocalReactorModel.get("s3-public-read")
    assert stored.status == "failed"
    assert stored.status_reason.startswith(
        f"artifact sha256 mismatch: the Hub recorded {artifact.sha256}, the downloaded artifact"
    )
    assert stored.status_reason.endswith("refused, nothing was created")
    assert not lambda_function_exists(FUNCTION) and not iam_role_exists(FUNCTION)
    assert client("lambda").list_functions()["Functions"] == []


def test_uninstall_deletes_function_and_role(moto_aws: None) -> None:
    _published()
    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="alice"
    )
    reactor_stream_record_handle(_record("INSERT", _image()))
    old = _image()
    reactor_uninstall(reactor_id="s3-public-read", actor="alice")
    assert reactor_stream_record_handle(_record("REMOVE", None, old)).action == "uninstalled"
    assert not lambda_function_exists(FUNCTION) and not iam_role_exists(FUNCTION)
    # Redelivered REMOVE: harmless.
    assert reactor_stream_record_handle(_record("REMOVE", None, old)).action == "uninstalled"


def test_redelivered_insert_after_install_is_ignored(moto_aws: None) -> None:
    _published()
    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="alice"
    )
    record = _record("INSERT", _image())
    reactor_stream_record_handle(record)
    assert reactor_stream_record_handle(record).action == "ignored"


def test_upgrade_updates_the_code(
    moto_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _published()
    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="alice"
    )
    reactor_stream_record_handle(_record("INSERT", _image()))
    source = tmp_path / "s3_public_read"
    shutil.copytree(CATALOG / "s3_public_read", source)
    code = (source / "reactor.py").read_text().replace('version = "1.0.0"', 'version = "1.0.1"')
    (source / "reactor.py").write_text(code)
    official_variant(monkeypatch, source)  # 1.0.1 of the official reactor
    newer = reactor_build(source=source, out_dir=tmp_path / "out")
    hub_publish(newer)
    hub_reactor_verify(reactor_id="s3-public-read", version="1.0.1")
    old = _image()
    reactor_upgrade(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="bob"
    )
    assert LocalReactorModel.get("s3-public-read").previous_version == "1.0.0"
    outcome = reactor_stream_record_handle(_record("MODIFY", _image(), old))
    assert outcome.action == "installed", outcome.reason
    function = client("lambda").get_function(FunctionName=FUNCTION)["Configuration"]
    assert function["CodeSha256"] == base64.b64encode(bytes.fromhex(newer.sha256)).decode()
    item = LocalReactorModel.get("s3-public-read")
    assert (item.version, item.status, item.previous_version) == ("1.0.1", "installed", None)


def test_install_of_unverified_version_is_refused(moto_aws: None) -> None:
    from ouroboros.reactors.errors import ReactorNotFoundError

    hub_publish(built_artifact("s3_public_read"))  # pending, not verified
    with pytest.raises(ReactorNotFoundError):
        reactor_install(
            reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="alice"
        )


def test_function_name_is_per_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    from ouroboros.config import reset_config

    monkeypatch.setenv("OUROBOROS_STAGE", "prod")
    reset_config()
    assert reactor_function_name("kms-key-rotation") == "ouroboros-prod-rx-kms-key-rotation"
