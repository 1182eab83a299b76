"""Upgrade then roll back, rehearsed in in-process moto (`deploy.upgrade`, ``manage.py upgrade``).

The consumer side is deployed as 1.0.0 by ``upgrade`` (bootstrap for real; Zappa's part by
`FakeZappa`, which creates and updates the functions from small zips as ``zappa deploy`` /
``zappa update -z`` do: the full Zappa packaging is rehearsed in ``test_rehearsal.py``), a control
is configured, 2.0.0 changes every function's code, memory and environment and the state machine's
definition, and ``upgrade --rollback`` puts 1.0.0 back. moto runs no function code, so "serving"
is asserted on what Lambda serves an unqualified invocation ($LATEST, what every trigger invokes):
its code SHA-256 and configuration, and on the version published for it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from deploy import workflow
from deploy.functions import FunctionSpec, functions_for
from deploy.releases import ReleaseTamperedError, UpgradeError, lambda_sha256, sha256_hex
from deploy.upgrade import rollback_run, upgrade_run
from deploy.zappa_settings import zappa_settings_build, zappa_settings_write
from ouroboros.aws import base_session, client
from ouroboros.config import get_config
from ouroboros.models import ControlModel
from ouroboros.models.controls import KIND_CONTROL
from tests.deploy.securityhub_stub import ActionTargetStub

pytestmark = pytest.mark.functional

ACCOUNT = "123456789012"  # moto's default account
BUCKET = "ouroboros-upgrade-zappa"


class FakeZappa:
    """Zappa's part of an upgrade (`deploy.upgrade.Toolchain`) for one release: a zip per package
    whose code names the release; functions created or updated from it with Publish, and each
    release's memory and environment (2.0.0 adds a setting)."""

    def __init__(self, folder: Path, release: str) -> None:
        self.folder, self.release = folder / release, release
        self.migrations = 0

    def package(self, package: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{package}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("handler.py", f"RELEASE = {self.release!r}  # {package}\n")
        return path

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        env = {"OUROBOROS_ROLE": spec.side, "OUROBOROS_STAGE": get_config().stage}
        if self.release == "2.0.0":
            env["OUROBOROS_NEW_SETTING"] = "on"
        return env

    def memory(self, spec: FunctionSpec) -> int:
        return spec.memory * 2 if self.release == "2.0.0" else spec.memory

    def deploy(self, spec: FunctionSpec, zip_path: Path, *, exists: bool) -> None:
        lam, name = client("lambda"), spec.lambda_name(get_config().stage)
        settings = {
            "MemorySize": self.memory(spec),
            "Timeout": spec.timeout,
            "Environment": {"Variables": self.environment(spec)},
        }
        if exists:
            lam.update_function_code(FunctionName=name, ZipFile=zip_path.read_bytes(), Publish=True)
            lam.update_function_configuration(FunctionName=name, **settings)
            return
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=f"arn:aws:iam::{ACCOUNT}:role/{spec.role_name(get_config().stage)}",
            Handler="handler.lambda_handler",
            Code={"ZipFile": zip_path.read_bytes()},
            Publish=True,
            **settings,
        )

    def migrate(self) -> None:
        self.migrations += 1


@pytest.fixture
def settings(moto_aws: None, tmp_path: Path) -> Path:
    """Zappa settings of this stage with the package bucket, and bootstrap's Security Hub stub."""
    ActionTargetStub(ACCOUNT, "us-east-1").install(base_session())
    built = zappa_settings_build(stage=get_config().stage, bucket=BUCKET, touch=False)
    return zappa_settings_write(built, tmp_path / "zappa_settings.json")


def _upgrade(settings: Path, toolchain: FakeZappa) -> None:
    upgrade_run(
        "consumer",
        version=toolchain.release,
        toolchain=toolchain,
        settings_path=settings,
        sleep=lambda _: None,
    )


def _serving() -> dict[str, tuple[str, int, dict[str, str]]]:
    """Per function: what an unqualified invocation runs (code, memory, environment)."""
    lam, served = client("lambda"), {}
    for spec in functions_for("consumer"):
        config = lam.get_function(FunctionName=spec.lambda_name(get_config().stage))
        conf = config["Configuration"]
        served[spec.key] = (
            conf["CodeSha256"],
            conf["MemorySize"],
            conf["Environment"]["Variables"],
        )
    return served


def _record() -> dict[str, str | None]:
    name = f"/ouroboros/{get_config().stage}/deployed-version/consumer"
    value: dict[str, str | None] = json.loads(
        client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    )
    return value


def _package_sha(toolchain: FakeZappa, package: str) -> str:
    return lambda_sha256(sha256_hex((toolchain.folder / f"{package}.zip").read_bytes()))


def _definition() -> str:
    machine = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:ouroboros-{get_config().stage}"
    described = client("stepfunctions").describe_state_machine(
        stateMachineArn=f"{machine}-security-hub-finding-reactor"
    )
    definition: str = described["definition"]
    return definition


def test_upgrade_then_rollback_keeps_data_and_serves_the_previous_version(
    settings: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1, v2 = FakeZappa(tmp_path, "1.0.0"), FakeZappa(tmp_path, "2.0.0")
    _upgrade(settings, v1)
    first, definition_v1 = _serving(), _definition()
    assert {key: served[0] for key, served in first.items()} == {
        spec.key: _package_sha(v1, spec.package) for spec in functions_for("consumer")
    }
    ControlModel("S3.2", title="S3.2", reactor_id="s3-public-read", mode="auto").save()

    render = workflow.definition_render  # 2.0.0 comes with another state machine definition
    monkeypatch.setattr(
        workflow,
        "definition_render",
        lambda tasks, deployment: json.dumps(
            {**json.loads(render(tasks, deployment)), "Comment": "2"}
        ),
    )
    _upgrade(settings, v2)
    second = _serving()
    for spec in functions_for("consumer"):
        code, memory, env = second[spec.key]
        assert code == _package_sha(v2, spec.package) != first[spec.key][0]
        assert (memory, env["OUROBOROS_NEW_SETTING"]) == (spec.memory * 2, "on")
    assert json.loads(_definition())["Comment"] == "2"
    assert _record()["version"] == "2.0.0" and _record()["previous"] == "1.0.0"
    assert (v1.migrations, v2.migrations) == (1, 1), "each upgrade applies the migrations"

    out = io.StringIO()
    call_command(
        "upgrade", "--role", "consumer", "--rollback", "--zappa-settings", settings, stdout=out
    )

    assert _serving() == first, "code, memory and environment of 1.0.0"
    assert _definition() == definition_v1
    lam = client("lambda")
    for spec in functions_for("consumer"):
        name = spec.lambda_name(get_config().stage)
        latest = lam.list_versions_by_function(FunctionName=name)["Versions"][-1]
        assert latest["CodeSha256"] == _package_sha(v1, spec.package), "published as a version"
    control = ControlModel.get("S3.2", KIND_CONTROL)
    assert (control.reactor_id, control.mode) == ("s3-public-read", "auto"), "data intact"
    assert _record()["version"] == "1.0.0" and _record()["previous"] is None
    assert v2.migrations == 1, "a rollback runs no migration"
    assert "code and configuration of 1.0.0" in out.getvalue()
    status = io.StringIO()
    call_command(
        "upgrade", "--role", "consumer", "--status", "--zappa-settings", settings, stdout=status
    )
    assert {"version: 1.0.0", "previous: none"} <= set(status.getvalue().splitlines())
    with pytest.raises(
        CommandError, match=re.escape("1.0.0 is the first consumer version recorded")
    ):
        call_command("upgrade", "--role", "consumer", "--rollback", "--zappa-settings", settings)


def test_a_rollback_refuses_a_kept_package_changed_since_the_upgrade(
    settings: Path, tmp_path: Path
) -> None:
    v1, v2 = FakeZappa(tmp_path, "1.0.0"), FakeZappa(tmp_path, "2.0.0")
    _upgrade(settings, v1)
    _upgrade(settings, v2)
    key = f"ouroboros-releases/{get_config().stage}/consumer/1.0.0/workers.zip"
    client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"not what was deployed")
    before = _serving()

    with pytest.raises(ReleaseTamperedError, match=re.escape("workers.zip has SHA-256")):
        rollback_run("consumer", settings_path=settings)

    assert _serving() == before, "nothing was changed"
    assert _record()["version"] == "2.0.0"


def test_upgrade_refuses_the_version_already_deployed_and_bad_labels(
    settings: Path, tmp_path: Path
) -> None:
    client("ssm").put_parameter(
        Name=f"/ouroboros/{get_config().stage}/deployed-version/consumer",
        Type="String",
        Value=json.dumps({"version": "1.0.0", "manifest_sha256": "0" * 64}),
    )
    with pytest.raises(
        UpgradeError, match=re.escape("1.0.0 is already the deployed consumer version")
    ):
        _upgrade(settings, FakeZappa(tmp_path, "1.0.0"))
    with pytest.raises(UpgradeError, match="use 1 to 64 letters"):
        _upgrade(settings, FakeZappa(tmp_path, "../1"))
    assert client("lambda").list_functions()["Functions"] == [], "nothing deployed"


def test_rollback_with_nothing_recorded_says_so(settings: Path) -> None:
    with pytest.raises(CommandError, match="no deployed consumer version recorded"):
        call_command("upgrade", "--role", "consumer", "--rollback", "--zappa-settings", settings)
