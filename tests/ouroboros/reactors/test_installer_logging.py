"""The installer gives a reactor's function Lambda's JSON log format, on install and on update,
so the reactor SDK's lines reach CloudWatch as JSON with their correlation keys as fields (that
`reactor_sdk.handler` logs them as ``extra``: tests/reactor_sdk/test_sdk.py) (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest

from ouroboros.aws import client
from ouroboros.models import LocalReactorModel
from ouroboros.reactors.hub import hub_reactor_verify
from ouroboros.reactors.installer import (
    REACTOR_LOGGING_CONFIG,
    reactor_resources_ensure,
    reactor_stream_record_handle,
)
from ouroboros.reactors.services import reactor_install
from ouroboros.reactors.stream_records import StreamRecord
from tests.reactor_support import approval, built_artifact, hub_publish

pytestmark = pytest.mark.functional

REACTOR = "s3-public-read"
_OPERATIONS = ("CreateFunction", "UpdateFunctionConfiguration")


@pytest.fixture
def lambda_requests(moto_aws: None) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The (operation, parameters) of the Lambda calls made while the test runs (moto keeps no
    ``LoggingConfig``: the request is what to look at)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    events = client("lambda").meta.events

    def capture(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    for operation in _OPERATIONS:
        events.register(f"provide-client-params.lambda.{operation}", capture)
    yield calls
    for operation in _OPERATIONS:
        events.unregister(f"provide-client-params.lambda.{operation}", capture)


def test_json_log_format_is_what_lambda_accepts() -> None:
    shape = botocore.session.get_session().get_service_model("lambda")
    for operation in _OPERATIONS:
        members = shape.operation_model(operation).input_shape.members["LoggingConfig"].members
        assert REACTOR_LOGGING_CONFIG["LogFormat"] in members["LogFormat"].enum


def test_install_and_update_ask_for_json_logs(
    lambda_requests: list[tuple[str, dict[str, Any]]],
) -> None:
    hub_publish(built_artifact("s3_public_read"))
    hub_reactor_verify(reactor_id=REACTOR, version="1.0.0")
    reactor_install(reactor_id=REACTOR, approved_actions=approval(REACTOR), actor="alice")
    item = LocalReactorModel.get(REACTOR)
    image = {"reactor_id": REACTOR, "version": item.version, "status": item.status}
    record = StreamRecord("e1", "INSERT", {"reactor_id": REACTOR}, image, None, "1", "arn")
    assert reactor_stream_record_handle(record).action == "installed"
    assert [name for name, _ in lambda_requests] == ["CreateFunction"]
    assert lambda_requests[0][1]["LoggingConfig"] == {"LogFormat": "JSON"}
    # The function exists: the same settings go through UpdateFunctionConfiguration.
    reactor_resources_ensure(reactor_id=REACTOR)
    assert [name for name, _ in lambda_requests] == [
        "CreateFunction",
        "UpdateFunctionConfiguration",
    ]
    assert lambda_requests[1][1]["LoggingConfig"] == {"LogFormat": "JSON"}
