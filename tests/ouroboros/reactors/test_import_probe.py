"""The verifier's confinement on AWS: the import runs in the Hub's permission-less import probe
function (``lambdas/hub_import_probe.py``), since Lambda gives the verifier neither root nor
namespaces.

The probe is served by the local Lambda hook (`emulator.lambda_invoke`, in-process), the verifier
runs as its function so the strict IAM check judges its ``lambda:InvokeFunction``; the
deployment side is checked too: the verifier is told the probe's name and may invoke it, and the
probe's own role grants nothing but its logs.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from deploy.functions import function_get
from deploy.iam import function_policy
from deploy.naming import deployment_current
from deploy.zappa_settings import zappa_settings_build
from emulator.caller import running_as
from emulator.lambda_invoke import PROJECT_FUNCTIONS, LocalLambda
from lambdas.hub_import_probe import handler as probe_handler
from ouroboros.config import reset_config
from ouroboros.models import HubReactorModel
from ouroboros.reactors import isolation
from ouroboros.reactors.hub import hub_reactor_verify
from ouroboros.reactors.packaging import Artifact
from tests.ouroboros.reactors import test_verification_confinement as confinement
from tests.ouroboros.reactors.test_verification_confinement import (
    PACKAGE,
    REACTOR,
    VERSION,
    _hostile_artifact,
    _publish_and_verify,
)

pytestmark = pytest.mark.functional

PROBE = "ouroboros-dev-hub-import-probe"


#: The confinement tests' honest reactor artifact (a module-scoped fixture, reused).
probe = confinement.probe


@pytest.fixture
def aws_mode(
    moto_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    """The verifier configured as on AWS (``OUROBOROS_HUB_IMPORT_FUNCTION``), the probe served by
    the local Lambda hook, and local confinement made unavailable (as in Lambda); yields the
    packages the probe was asked to import."""
    monkeypatch.setenv("OUROBOROS_HUB_IMPORT_FUNCTION", PROBE)
    reset_config()
    monkeypatch.setattr(isolation, "_confinement", ["confinement needs root (Lambda)"])
    ASKED.clear()
    monkeypatch.setitem(PROJECT_FUNCTIONS, PROBE, f"{__name__}.probe_served")
    local = LocalLambda()
    local.start(SimpleNamespace(data_dir=tmp_path))  # type: ignore[arg-type]
    try:
        yield ASKED
    finally:
        local.stop()
        reset_config()


#: The packages the probe was asked to import.
ASKED: list[str] = []


def probe_served(event: dict, context: object) -> dict:
    """The probe's handler, as the local Lambda hook serves it, recording what it is asked."""
    ASKED.append(event["package"])
    return probe_handler(event, context)


def _verify_as_the_verifier() -> HubReactorModel:
    """Verification as the ``hub_verify`` function (the strict IAM check judges its calls)."""
    with running_as("hub_verify"):
        return hub_reactor_verify(reactor_id=REACTOR, version=VERSION)


def test_on_aws_the_verifier_imports_in_the_probe_function(
    aws_mode: list[str], probe: Artifact
) -> None:
    item = _publish_and_verify(probe, probe.path.read_bytes(), verify=_verify_as_the_verifier)
    assert (item.status, item.status_reason) == ("verified", None)
    assert aws_mode == [PACKAGE]


def test_code_the_probe_cannot_import_is_rejected(aws_mode: list[str], probe: Artifact) -> None:
    hostile = _hostile_artifact(probe, "raise RuntimeError('no')\n")
    item = _publish_and_verify(probe, hostile, verify=_verify_as_the_verifier)
    assert item.status == "rejected"
    assert "RuntimeError: no" in str(item.status_reason)


def test_a_probe_that_cannot_be_reached_leaves_the_version_pending(
    moto_aws: None, probe: Artifact, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No such function (moto answers ResourceNotFound): no verdict, the stream retries."""
    monkeypatch.setenv("OUROBOROS_HUB_IMPORT_FUNCTION", "ouroboros-dev-no-such-probe")
    reset_config()
    with pytest.raises(isolation.ImportProbeUnavailableError, match="no-such-probe"):
        _publish_and_verify(probe, probe.path.read_bytes())


def test_the_probe_sees_no_setting_and_refuses_malformed_input(
    probe: Artifact, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child that imports the author's code gets an empty environment, whatever the
    function's own environment holds."""
    monkeypatch.setenv("OUROBOROS_CANARY", "must-not-be-seen")
    spy = "import os\nraise RuntimeError('ENV:' + ','.join(sorted(os.environ)))\n"
    data = _hostile_artifact(probe, spy)
    found = probe_handler({"package": PACKAGE, "artifact": base64.b64encode(data).decode()}, None)
    [error] = found["errors"]
    seen = set(error.split("ENV:", 1)[1].split(",")) - {""}
    assert "OUROBOROS_CANARY" not in seen
    assert not {name for name in seen if name.startswith("AWS_") and "REGION" not in name}

    for bad in (None, {"package": "../x", "artifact": ""}, {"package": PACKAGE, "artifact": "*"}):
        refused = probe_handler(bad, None)
        assert refused["reactors"] == [] and refused["errors"][0].startswith("import probe input")


def test_the_deployment_wires_the_probe_and_grants_it_nothing(moto_aws: None) -> None:
    deployment = deployment_current("hub")
    verifier = function_policy(function_get("hub_verify"), deployment)
    probe_arn = deployment.function_arn(function_get("hub_import_probe"))
    assert any(
        "lambda:InvokeFunction" in s["Action"] and s["Resource"] == probe_arn
        for s in verifier["Statement"]
    )
    own = function_policy(function_get("hub_import_probe"), deployment)
    actions = {a for s in own["Statement"] for a in s["Action"]}
    assert actions <= {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    settings = zappa_settings_build(stage="dev")
    verifier_env = settings["hub_verify"]["aws_environment_variables"]
    assert verifier_env["OUROBOROS_HUB_IMPORT_FUNCTION"] == PROBE
    probe_env = settings["hub_import_probe"]["aws_environment_variables"]
    assert set(probe_env) == {
        "OUROBOROS_STAGE",
        "OUROBOROS_RUNTIME",
        "OUROBOROS_ROLE",
        "OUROBOROS_DATA_DIR",
    }
    assert settings["hub_import_probe"]["lambda_handler"] == "lambdas.hub_import_probe.handler"


def test_the_verifier_waits_for_the_probe_as_long_as_the_probe_may_run() -> None:
    """botocore's default read timeout (60 s, retried) would cut a slow import short on AWS and
    leave the version pending forever; the probe's own limits are shorter than the wait."""
    probe_timeout = function_get("hub_import_probe").timeout
    assert isolation.TIMEOUT_SECONDS < probe_timeout < isolation._PROBE_CLIENT.read_timeout
    assert isolation._PROBE_CLIENT.retries == {"total_max_attempts": 1, "mode": "standard"}
