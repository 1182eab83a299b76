"""The local runtime restarts consistent: moto forgets S3, IAM and Lambda, DynamoDB Local does
not; the Hub's artifacts come back, installed reactors get their function and role again, and
the stream pollers resume after their checkpoints instead of replaying everything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.runtime import LocalRuntime
from emulator.streams import StreamPollers
from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.models import LocalReactorModel
from ouroboros.reactors.services import reactor_install
from tests.integration.test_reactor_lifecycle import (
    FUNCTION,
    hub_status,
    local_status,
)
from tests.reactor_support import (
    approval,
    built_artifact,
    hub_publish,
    iam_role_exists,
    lambda_function_exists,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.long]


def test_restart_restores_artifacts_and_installed_reactors(isolated_env: Path) -> None:
    artifact = built_artifact("s3_public_read")
    with LocalRuntime(data_dir=isolated_env) as runtime:
        key = hub_publish(artifact)
        assert wait_for(lambda: hub_status("s3-public-read", "1.0.0"), "verify") == "verified"
        reactor_install(
            reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="test"
        )
        assert wait_for(lambda: local_status("s3-public-read"), "install") == "installed"
        pollers = next(e for e in runtime.extensions if isinstance(e, StreamPollers)).pollers
        # Let both consumers see the last change (pending -> verified, installing -> installed)
        # before stopping: otherwise that record is, correctly, delivered after the restart.
        wait_for(lambda: all(p.delivered >= 2 for p in pollers), "the pollers to catch up")
    checkpoints = sorted(p.name for p in (isolated_env / "streams").iterdir())
    assert checkpoints == [
        "cmdb_dev_security_local_reactors.json",
        "hub_dev_security_reactors.json",
    ]
    assert (isolated_env / "hub" / "artifacts" / key).read_bytes() == artifact.path.read_bytes()

    with LocalRuntime(data_dir=isolated_env) as runtime:
        assert lambda_function_exists(FUNCTION) and iam_role_exists(FUNCTION)
        assert LocalReactorModel.get("s3-public-read").status == "installed"
        body = client("s3").get_object(Bucket=get_config().hub_bucket, Key=key)["Body"].read()
        assert body == artifact.path.read_bytes()
        pollers = next(e for e in runtime.extensions if isinstance(e, StreamPollers)).pollers
        for poller in pollers:
            poller.poll_once()
        assert sum(p.delivered for p in pollers) == 0  # nothing replayed
        state = json.loads((isolated_env / "streams" / checkpoints[0]).read_text())
        assert state["stream_arn"].startswith("arn:aws:dynamodb:ddblocal:000000000000:table/")
