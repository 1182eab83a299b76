"""The local Lambda hook: project handlers by name, installed reactors from their artifact."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from emulator.lambda_invoke import PROJECT_FUNCTIONS, LocalLambda, project_function_register
from ouroboros.aws import assume_role_session, client
from ouroboros.reactors.hub import hub_reactor_verify
from ouroboros.reactors.installer import reactor_stream_record_handle
from ouroboros.reactors.services import reactor_install
from ouroboros.reactors.stream_records import StreamRecord
from tests.reactor_support import MEMBER, approval, built_artifact, hub_publish, member_finding

pytestmark = pytest.mark.functional


def echo(event: Any, context: Any) -> dict[str, Any]:
    if event.get("explode"):
        raise ValueError("boom")
    return {"echo": event, "function": context.function_name}


@pytest.fixture
def local_lambda(moto_aws: None, isolated_env: Path) -> Iterator[LocalLambda]:
    hook = LocalLambda()
    hook.start(SimpleNamespace(data_dir=isolated_env))  # type: ignore[arg-type]
    project_function_register("test-echo", f"{__name__}.echo")
    try:
        yield hook
    finally:
        hook.stop()
        PROJECT_FUNCTIONS.pop("test-echo", None)


def _invoke(name: str, payload: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return dict(client("lambda").invoke(FunctionName=name, Payload=json.dumps(payload), **kwargs))


def test_project_function_runs_by_name_and_arn(local_lambda: LocalLambda) -> None:
    response = _invoke("test-echo", {"a": 1})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"echo": {"a": 1}, "function": "test-echo"}
    arn = "arn:aws:lambda:us-east-1:123456789012:function:test-echo"
    assert json.loads(_invoke(arn, {"b": 2})["Payload"].read())["echo"] == {"b": 2}


def test_handler_errors_become_function_errors(local_lambda: LocalLambda) -> None:
    response = _invoke("test-echo", {"explode": True})
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "boom")


def test_event_and_dry_run_invocations(local_lambda: LocalLambda) -> None:
    assert _invoke("test-echo", {}, InvocationType="Event")["StatusCode"] == 202
    assert _invoke("test-echo", {}, InvocationType="DryRun")["StatusCode"] == 204


def test_unknown_functions_go_to_moto(local_lambda: LocalLambda) -> None:
    lam = client("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        _invoke("nobody", {})


def test_after_stop_nothing_is_intercepted(local_lambda: LocalLambda) -> None:
    local_lambda.stop()
    lam = client("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        _invoke("test-echo", {})


def test_an_installed_reactor_runs_from_its_artifact(
    local_lambda: LocalLambda, isolated_env: Path
) -> None:
    artifact = built_artifact("s3_public_read")
    hub_publish(artifact)
    hub_reactor_verify(reactor_id="s3-public-read", version="1.0.0")
    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="test"
    )
    image = {"reactor_id": "s3-public-read", "version": "1.0.0", "status": "installing"}
    record = StreamRecord("e", "INSERT", {"reactor_id": "s3-public-read"}, image, None, "1", "a")
    assert reactor_stream_record_handle(record).action == "installed"

    setup = assume_role_session(
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole", external_id=""
    )
    s3 = client("s3", session=setup)
    s3.create_bucket(Bucket="invoked")
    public = {"Sid": "P", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
              "Resource": "arn:aws:s3:::invoked/*"}  # fmt: skip
    s3.put_bucket_policy(Bucket="invoked", Policy=json.dumps({"Statement": [public]}))
    finding = member_finding(
        "asff_findings/asr_afsbp_s3.2.json", resource_id="arn:aws:s3:::invoked"
    )
    response = _invoke("ouroboros-dev-rx-s3-public-read", {"finding": finding})
    assert json.loads(response["Payload"].read())["status"] == "changed"
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket="invoked")
    # The code that ran is the artifact's, unpacked under the data folder.
    alias = f"_ouroboros_artifact_{artifact.sha256[:16]}.s3_public_read.reactor"
    assert Path(sys.modules[alias].__file__).is_relative_to(
        isolated_env / "lambda" / artifact.sha256
    )


def test_an_artifact_of_the_old_sdk_is_refused_not_half_imported(
    local_lambda: LocalLambda, isolated_env: Path
) -> None:
    """A local data folder from before the SDK moved holds artifacts whose code imports
    ``ouroboros.reactors`` (SDK 1): the invocation fails with ArtifactError naming the fix."""
    import zipfile

    artifact = built_artifact("s3_public_read")
    hub_publish(artifact)
    hub_reactor_verify(reactor_id="s3-public-read", version="1.0.0")
    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="test"
    )
    image = {"reactor_id": "s3-public-read", "version": "1.0.0", "status": "installing"}
    record = StreamRecord("e", "INSERT", {"reactor_id": "s3-public-read"}, image, None, "1", "a")
    assert reactor_stream_record_handle(record).action == "installed"
    # What the old runtime left unpacked under <data dir>/lambda/<sha256>/.
    folder = isolated_env / "lambda" / artifact.sha256
    with zipfile.ZipFile(artifact.path) as archive:
        archive.extractall(folder)
    manifest_path = folder / "ouroboros-manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "sdk_version": "1"}))
    (folder / "s3_public_read" / "reactor.py").write_text(
        "from ouroboros.reactors import Reactor, reactor_handler\n"
    )

    response = _invoke("ouroboros-dev-rx-s3-public-read", {"finding": {}})

    assert response.get("FunctionError") == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "ArtifactError"
    assert "reactor SDK 2" in error["errorMessage"] and "make clean" in error["errorMessage"]
