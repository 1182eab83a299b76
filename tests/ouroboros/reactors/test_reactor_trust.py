"""Reactor trust: dangerous permissions, approval, names, session policies, the member role.

Issue 16's attacks 3 (dangerous permissions pass) and 4 (a reactor with id ``installer``
replaces the installer), each reproduced and refused with nothing created, and the defences
around them: the deny list as data, official reactors, the admin's approval, the reactors' own
name space, the session policy that narrows each reactor to what it declared, and the member
role holding exactly the union of the installed, approved reactors' permissions.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from console.reactors.management.commands.reactor_trust_data import (
    dangerous_actions_collect,
    data_dumps,
)
from deploy.functions import FUNCTIONS
from deploy.member_role import (
    MEMBER_POLICY_NAME,
    installed_manifests,
    member_role_policy_apply,
)
from deploy.naming import Deployment
from emulator.caller import running_as
from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.models import HubReactorModel, LocalReactorModel
from ouroboros.reactors import dangerous_actions, official
from ouroboros.reactors.dangerous_actions import action_dangerous, manifest_dangerous_actions
from ouroboros.reactors.errors import (
    ReactorApprovalError,
    ReactorNameError,
    ReactorStateError,
)
from ouroboros.reactors.hub import hub_reactor_verify
from ouroboros.reactors.installer import reactor_stream_record_handle
from ouroboros.reactors.manifest import manifest_problems
from ouroboros.reactors.names import RESERVED_IDS, reactor_function_name
from ouroboros.reactors.packaging import package_entries, reactor_build
from ouroboros.reactors.services import reactor_install, reactor_uninstall
from ouroboros.reactors.stream_records import StreamRecord
from reactor_sdk import REACTORS
from reactor_sdk.session import member_session
from tests.reactor_support import (
    CATALOG,
    MEMBER,
    approval,
    built_artifact,
    hub_publish,
)
from tests.strict.actions import call_needs
from tests.strict.recorder import Recorder
from tests.strict.verdict import session_decide

pytestmark = pytest.mark.functional

#: What the red team's reactor declared on resource ``*`` (attack 3).
ESCALATION = (
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateAccessKey",
    "iam:AttachRolePolicy",
    "organizations:LeaveOrganization",
)
REACTOR_SOURCE = '''"""A crafted reactor."""

from reactor_sdk import Permission, Reactor, reactor, reactor_handler


@reactor
class Crafted(Reactor):
    """{title}

    A crafted reactor of the trust tests: it declares {actions}.
    """

    id = "{reactor_id}"
    version = "1.0.0"
    control_ids = ("IAM.1",)
    permissions = (Permission({actions!r}, ("*",)),)

    def remediate(self, finding, session, params, dry_run):
        return self.result(finding, dry_run=dry_run, changes=[])

    def rollback(self, finding, session, rollback_data):
        return self.result(finding, dry_run=False, changes=[], operation="rollback")


handler = reactor_handler(Crafted)
'''


def crafted(tmp_path: Path, reactor_id: str, actions: tuple[str, ...]) -> Any:
    """Build a reactor ``reactor_id`` declaring ``actions`` on ``*``; its artifact."""
    package = reactor_id.replace("-", "_")
    source = tmp_path / "src" / package
    source.mkdir(parents=True)
    (source / "__init__.py").write_text('"""A crafted reactor package."""\n')
    (source / "reactor.py").write_text(
        REACTOR_SOURCE.format(title="Crafted reactor", reactor_id=reactor_id, actions=actions)
    )
    return reactor_build(source=source, out_dir=tmp_path / "out" / package), source


def _record(name: str, image: dict[str, Any], old: dict[str, Any] | None = None) -> StreamRecord:
    keys = {"reactor_id": image["reactor_id"]}
    new = None if name == "REMOVE" else image
    return StreamRecord(
        "e1", name, keys, new, old or (image if name == "REMOVE" else None), "1", "arn"
    )  # type: ignore[arg-type]


def _image(reactor_id: str) -> dict[str, Any]:
    item = LocalReactorModel.get(reactor_id)
    return {"reactor_id": reactor_id, "version": item.version, "status": item.status}


def _functions() -> set[str]:
    return {f["FunctionName"] for f in client("lambda").list_functions()["Functions"]}


def _roles() -> set[str]:
    return {r["RoleName"] for r in client("iam").list_roles()["Roles"]}


def _reactor_class(module: Any) -> Any:
    """The reactor class a catalog module defines (not the registry's entry: the registry keeps
    the first of two twins, which may come from an installed artifact)."""
    return next(
        v
        for v in vars(module).values()
        if isinstance(v, type)
        and v.__module__ == module.__name__
        and getattr(v, "id", None) in REACTORS  # a module may define helper classes too
    )


# --- the deny list and the official list are data, kept fresh -------------------------------------


def test_the_deny_list_is_what_policy_sentry_gives_today() -> None:
    assert dangerous_actions.DATA_FILE.read_text() == data_dumps(dangerous_actions_collect())


def test_the_deny_list_covers_escalation_permissions_management_and_the_extras() -> None:
    for action in (*ESCALATION, "iam:PassRole", "s3:PutBucketPolicy", "kms:PutKeyPolicy"):
        assert action_dangerous(action), action
    for action in ("organizations:ListAccounts", "sts:AssumeRole", "cloudtrail:StopLogging"):
        assert action_dangerous(action), action
    assert action_dangerous("IAM:putrolepolicy")  # IAM actions are case-insensitive
    for harmless in ("s3:GetBucketPolicy", "ec2:DescribeSecurityGroups", "kms:EnableKeyRotation"):
        assert not action_dangerous(harmless), harmless


def test_the_official_list_is_the_catalog_as_it_is() -> None:
    listed = official.official_reactors()
    packages = sorted(p.name for p in CATALOG.iterdir() if (p / "reactor.py").is_file())
    for package in packages:
        module = importlib.import_module(f"lambdas.reactors.{package}.reactor")
        cls = _reactor_class(module)
        manifest = {"permissions": [p.to_dict() for p in cls.permissions]}
        assert cls.version in listed.get(cls.id, {}), f"{cls.id} {cls.version} is not listed"
        entry = listed[cls.id][cls.version]
        assert entry["package"] == package
        stale = "stale: run `python manage.py reactor_trust_data --write` and review the diff"
        assert entry["files_sha256"] == official.package_digest(
            package_entries(CATALOG / package)
        ), stale
        assert entry["dangerous_actions"] == manifest_dangerous_actions(manifest), stale


# --- attack 3: dangerous permissions --------------------------------------------------------------


def test_attack_3_dangerous_permissions_are_rejected_by_the_hub(
    moto_aws: None, tmp_path: Path
) -> None:
    artifact, _ = crafted(tmp_path, "escalate-roles", ESCALATION)
    hub_publish(artifact)
    item = hub_reactor_verify(reactor_id="escalate-roles", version="1.0.0")
    assert item.status == "rejected"
    assert "allowed only in official reactors" in str(item.status_reason)
    assert "iam:PutRolePolicy" in str(item.status_reason)
    with pytest.raises(ReactorStateError, match="not verified"):
        reactor_install(
            reactor_id="escalate-roles", version="1.0.0", approved_actions=ESCALATION, actor="m"
        )
    with pytest.raises(LocalReactorModel.DoesNotExist):
        LocalReactorModel.get("escalate-roles")


def test_attack_3_a_forced_install_is_refused_by_the_installer_with_nothing_created(
    moto_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Hub record forced to verified and the install item written directly, approval and
    all: the installer still refuses (the signed verdict aside: this is the next defence)."""
    artifact, _ = crafted(tmp_path, "escalate-roles", ESCALATION)
    hub_publish(artifact)
    hub = HubReactorModel.get("escalate-roles", "1.0.0")
    hub.update(actions=[HubReactorModel.status.set("verified")])
    monkeypatch.setattr("ouroboros.reactors.installer.verdict_check", lambda **_: None)
    functions, roles = _functions(), _roles()
    LocalReactorModel(
        "escalate-roles",
        version="1.0.0",
        sha256=artifact.sha256,
        artifact_key=hub.artifact_key,
        manifest=artifact.manifest,
        status="installing",
        approved_actions=sorted(ESCALATION),
    ).save()
    outcome = reactor_stream_record_handle(_record("INSERT", _image("escalate-roles")))
    assert outcome.action == "failed"
    assert "allowed only in official reactors" in outcome.reason
    assert (_functions(), _roles()) == (functions, roles)  # nothing created
    assert "escalate-roles" not in installed_manifests()  # the member role never grants it


def test_an_official_reactor_needs_the_exact_approval(moto_aws: None) -> None:
    hub_publish(built_artifact("s3_public_read"))
    hub_reactor_verify(reactor_id="s3-public-read", version="1.0.0")
    wanted = ["s3:DeleteBucketPolicy", "s3:PutBucketPolicy"]
    assert approval("s3-public-read") == wanted
    for given in (None, ["s3:PutBucketPolicy"], [*wanted, "iam:PassRole"]):
        with pytest.raises(ReactorApprovalError, match="nothing was installed"):
            reactor_install(reactor_id="s3-public-read", approved_actions=given, actor="alice")
        with pytest.raises(LocalReactorModel.DoesNotExist):
            LocalReactorModel.get("s3-public-read")
    with pytest.raises(ReactorApprovalError, match=r"s3:DeleteBucketPolicy, s3:PutBucketPolicy"):
        reactor_install(reactor_id="s3-public-read", actor="alice")
    item = reactor_install(reactor_id="s3-public-read", approved_actions=wanted, actor="admin")
    assert (item.approved_actions, item.approved_by) == (wanted, "admin")


def test_the_installer_refuses_an_item_written_without_approval(moto_aws: None) -> None:
    artifact = built_artifact("s3_public_read")
    hub_publish(artifact)
    hub_reactor_verify(reactor_id="s3-public-read", version="1.0.0")
    hub = HubReactorModel.get("s3-public-read", "1.0.0")
    LocalReactorModel(
        "s3-public-read",
        version="1.0.0",
        sha256=artifact.sha256,
        artifact_key=hub.artifact_key,
        manifest=artifact.manifest,
        status="installing",
    ).save()
    outcome = reactor_stream_record_handle(_record("INSERT", _image("s3-public-read")))
    assert outcome.action == "failed" and "need an admin's approval" in outcome.reason
    assert reactor_function_name("s3-public-read") not in _functions() | _roles()


def test_a_modified_official_reactor_is_not_official(moto_aws: None, tmp_path: Path) -> None:
    source = tmp_path / "s3_public_read"
    source.mkdir()
    for name, data in package_entries(CATALOG / "s3_public_read"):
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    code = (source / "reactor.py").read_text()
    (source / "reactor.py").write_text(code + "\n# one line more\n")  # same id and version
    artifact = reactor_build(source=source, out_dir=tmp_path / "out")
    hub_publish(artifact)
    item = hub_reactor_verify(reactor_id="s3-public-read", version="1.0.0")
    assert item.status == "rejected"
    assert "differs from the official s3-public-read" in str(item.status_reason)
    (source / "reactor.py").write_text(code.replace('version = "1.0.0"', 'version = "1.0.9"'))
    hub_publish(reactor_build(source=source, out_dir=tmp_path / "out9"))
    item = hub_reactor_verify(reactor_id="s3-public-read", version="1.0.9")
    assert item.status == "rejected"
    assert "s3-public-read 1.0.9 is not an official reactor version" in str(item.status_reason)


def test_a_session_policy_over_awss_cap_is_refused() -> None:
    manifest = json.loads(built_artifact("kms_key_rotation").manifest_path.read_text())
    manifest.pop("sha256"), manifest.pop("size")
    assert manifest_problems(manifest) == []
    manifest["permissions"] = [
        {"actions": ["kms:DescribeKey"], "resources": [f"arn:aws:kms:*:*:key/{i:036d}"]}
        for i in range(40)
    ]
    assert any("over AWS's 2048" in p for p in manifest_problems(manifest))


# --- attack 4: names ------------------------------------------------------------------------------


def test_reactor_names_cannot_be_platform_names() -> None:
    prefix = Deployment("dev", "us-east-1", "123456789012", "consumer").reactor_function_prefix
    assert reactor_function_name("installer").startswith(prefix)
    for spec in FUNCTIONS:
        assert not spec.lambda_name("dev").startswith(prefix), spec.key
        assert not spec.role_name("dev").startswith(prefix), spec.key
    assert {"installer", "reactor-installer", "hub-verify", "console"} <= RESERVED_IDS


def test_attack_4_a_reactor_with_id_installer_is_refused_with_nothing_changed(
    moto_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lam = client("lambda")
    installer = "ouroboros-dev-reactor-installer"
    role = client("iam").create_role(RoleName=f"{installer}-role", AssumeRolePolicyDocument="{}")
    lam.create_function(
        FunctionName=installer,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="lambdas.reactor_installer.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
    )
    before = lam.get_function(FunctionName=installer)["Configuration"]
    artifact, _ = crafted(tmp_path, "installer", ("s3:GetBucketPolicy",))
    hub_publish(artifact)
    item = hub_reactor_verify(reactor_id="installer", version="1.0.0")
    assert item.status == "rejected" and "reserved" in str(item.status_reason)
    with pytest.raises(ReactorNameError, match="reserved"):
        reactor_install(reactor_id="installer", actor="mallory")
    # Forced in anyway (the Hub record, the verdict, the install item; then an uninstall pointing
    # at the installer): the installer's name checks refuse, before anything is created.
    hub = HubReactorModel.get("installer", "1.0.0")
    hub.update(actions=[HubReactorModel.status.set("verified")])
    monkeypatch.setattr("ouroboros.reactors.installer.verdict_check", lambda **_: None)
    LocalReactorModel(
        "installer",
        version="1.0.0",
        sha256=artifact.sha256,
        artifact_key=hub.artifact_key,
        manifest=artifact.manifest,
        status="installing",
    ).save()
    outcome = reactor_stream_record_handle(_record("INSERT", _image("installer")))
    assert outcome.action == "failed" and "reserved" in outcome.reason
    gone = {"reactor_id": "installer", "function_name": installer, "version": "1.0.0"}
    LocalReactorModel.get("installer").delete()
    assert reactor_stream_record_handle(_record("REMOVE", gone)).action == "refused"
    after = lam.get_function(FunctionName=installer)["Configuration"]
    assert (after["CodeSha256"], after["Handler"], after["Role"]) == (
        before["CodeSha256"],
        before["Handler"],
        before["Role"],
    )
    assert f"{installer}-role" in _roles()


def test_a_name_taken_by_something_else_is_refused_before_anything_is_created(
    moto_aws: None,
) -> None:
    name = reactor_function_name("s3-public-read")
    role = client("iam").create_role(RoleName="someone-elses", AssumeRolePolicyDocument="{}")
    client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
    )
    hub_publish(built_artifact("s3_public_read"))
    hub_reactor_verify(reactor_id="s3-public-read", version="1.0.0")
    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="alice"
    )
    outcome = reactor_stream_record_handle(_record("INSERT", _image("s3-public-read")))
    assert outcome.action == "failed"
    assert f"the function {name} exists and was not created for s3-public-read" in outcome.reason
    assert client("lambda").get_function(FunctionName=name)["Configuration"]["Handler"] == (
        "app.handler"
    )
    assert name not in _roles()


# --- the member role and the session policy -------------------------------------------------------


def _member_iam() -> Any:
    return _member_client("iam")


def _member_client(service: str) -> Any:
    """A client in the member account, as set-up (no function runs)."""
    session = boto3.Session(region_name="us-east-1")
    creds = session.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole",
        RoleSessionName="set-up",
    )["Credentials"]
    return session.client(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def _installed(reactor_id: str) -> None:
    reactor_install(reactor_id=reactor_id, approved_actions=approval(reactor_id), actor="admin")
    outcome = reactor_stream_record_handle(_record("INSERT", _image(reactor_id)))
    assert outcome.action == "installed", outcome.reason


def test_the_member_role_is_the_union_of_installed_approved_reactors(moto_aws: None) -> None:
    iam = _member_iam()
    role_name = get_config().member_role_name
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")
    for package, reactor_id in (
        ("s3_public_read", "s3-public-read"),
        ("kms_key_rotation", "kms-key-rotation"),
    ):
        hub_publish(built_artifact(package))
        hub_reactor_verify(reactor_id=reactor_id, version="1.0.0")
        _installed(reactor_id)
    assert member_role_policy_apply(iam, role_name=role_name, manifests=installed_manifests())
    policy = iam.get_role_policy(RoleName=role_name, PolicyName=MEMBER_POLICY_NAME)
    document = policy["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    granted = {a for s in document["Statement"] for a in s["Action"]}
    declared = {
        a
        for package in ("s3_public_read", "kms_key_rotation")
        for p in built_artifact(package).manifest["permissions"]
        for a in p["actions"]
    }
    assert granted == declared
    for reactor_id in ("s3-public-read", "kms-key-rotation"):
        gone = {**_image(reactor_id), "function_name": reactor_function_name(reactor_id)}
        reactor_uninstall(reactor_id=reactor_id, actor="admin")
        assert reactor_stream_record_handle(_record("REMOVE", gone)).action == "uninstalled"
    assert member_role_policy_apply(iam, role_name=role_name, manifests=installed_manifests())
    assert iam.list_role_policies(RoleName=role_name)["PolicyNames"] == []


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A recorder of this test alone (the session's keeps recording beside it)."""
    own = Recorder()
    own.install()
    try:
        yield own
    finally:
        own.uninstall()


def test_a_reactors_raw_boto3_call_outside_its_declaration_is_denied(
    moto_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorder: Recorder
) -> None:
    """A reactor approved for iam:PutRolePolicy (official here) beside s3-public-read: the member
    role holds both; the reactor's own session holds only its own, even through raw boto3."""
    artifact, source = crafted(tmp_path, "role-fixer", ("iam:PutRolePolicy",))
    listed = {
        **official.official_reactors(),
        "role-fixer": {
            "1.0.0": {
                "package": "role_fixer",
                "files_sha256": official.package_digest(package_entries(source)),
                "dangerous_actions": ["iam:PutRolePolicy"],
            }
        },
    }
    monkeypatch.setattr(official, "official_reactors", lambda: listed)
    hub_publish(artifact)
    assert hub_reactor_verify(reactor_id="role-fixer", version="1.0.0").status == "verified"
    with pytest.raises(ReactorApprovalError):
        reactor_install(reactor_id="role-fixer", actor="alice")
    hub_publish(built_artifact("s3_public_read"))
    hub_reactor_verify(reactor_id="s3-public-read", version="1.0.0")
    reactor_install(reactor_id="role-fixer", approved_actions=["iam:PutRolePolicy"], actor="a")
    reactor_stream_record_handle(_record("INSERT", _image("role-fixer")))
    _installed("s3-public-read")
    iam = _member_iam()
    role_name = get_config().member_role_name
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument="{}")
    member_role_policy_apply(iam, role_name=role_name, manifests=installed_manifests())
    _member_client("s3").create_bucket(Bucket="member-bucket")
    iam.create_role(RoleName="victim", AssumeRolePolicyDocument="{}")

    permissions = artifact.manifest["permissions"]
    # A key no deployed function has: the session's own check records these calls but does not
    # judge them (this test makes a denied call on purpose); this test judges its own recording.
    with running_as("trust-probe-reactor"):
        session = member_session(MEMBER, region="us-east-1", permissions=permissions)
        frozen = session.get_credentials().get_frozen_credentials()
        raw = boto3.Session(
            aws_access_key_id=frozen.access_key,
            aws_secret_access_key=frozen.secret_key,
            aws_session_token=frozen.token,
            region_name="us-east-1",
        )
        raw.client("iam").put_role_policy(
            RoleName="victim",
            PolicyName="p",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}],
                }
            ),
        )
        raw.client("s3").delete_bucket_policy(Bucket="member-bucket")  # the member role allows it
    calls = [c for c in recorder.calls if c.principal]
    assert {c.operation for c in calls} == {"PutRolePolicy", "DeleteBucketPolicy"}
    assert all(json.loads(c.session_policy or "{}")["Statement"] for c in calls)
    decisions = {c.operation: session_decide(c, needed) for c in calls for needed in call_needs(c)}
    assert decisions["PutRolePolicy"][0] is True
    allowed, reason = decisions["DeleteBucketPolicy"]
    assert allowed is False and "session policy does not allow s3:DeleteBucketPolicy" in reason


def test_a_reactors_handler_passes_its_declared_permissions_as_the_session_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reactor_sdk.handler as handler_module
    from reactor_sdk.finding import Finding
    from reactor_sdk.session import session_policy_json

    module = importlib.import_module("lambdas.reactors.s3_public_read.reactor")
    cls = _reactor_class(module)
    seen: dict[str, Any] = {}

    def member_session_spy(account_id: str, **kwargs: Any) -> Any:
        seen.update(kwargs, account_id=account_id)
        return "session"

    monkeypatch.setattr(handler_module, "member_session", member_session_spy)
    finding = Finding(MEMBER + "-f", MEMBER, "eu-west-1", "S3.2", "t", ())
    assert handler_module.finding_session(finding, cls) == "session"
    assert (seen["account_id"], seen["region"]) == (MEMBER, "eu-west-1")
    assert session_policy_json(seen["permissions"]) == session_policy_json(
        built_artifact("s3_public_read").manifest["permissions"]
    )
