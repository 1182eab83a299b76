"""The two stream consumer Lambdas: per-record failures, so one bad record never blocks a batch."""

from __future__ import annotations

import pytest

from lambdas import hub_verify, reactor_installer
from ouroboros.aws import client
from ouroboros.models import HubReactorModel, LocalReactorModel
from ouroboros.reactors.hub import hub_reactor_verify
from ouroboros.reactors.services import reactor_install
from tests.reactor_support import approval, built_artifact, hub_publish, stream_event

pytestmark = pytest.mark.functional


def test_hub_verify_reports_only_the_bad_record(moto_aws: None) -> None:
    hub_publish(built_artifact("s3_public_read"))
    good = {"reactor_id": "s3-public-read", "version": "1.0.0", "status": "pending"}
    ghost = {"reactor_id": "no-such-reactor", "version": "9.9.9", "status": "pending"}
    event = stream_event([("INSERT", ghost, None), ("INSERT", good, None)], key="reactor_id")
    response = hub_verify.handler(event)
    assert response == {"batchItemFailures": [{"itemIdentifier": "000000000000000000001"}]}
    assert HubReactorModel.get("s3-public-read", "1.0.0").status == "verified"


def test_hub_verify_ignores_what_is_not_a_new_pending_version(moto_aws: None) -> None:
    item = {"reactor_id": "r", "version": "1.0.0", "status": "verified"}
    event = stream_event([("MODIFY", item, item), ("REMOVE", None, item)], key="reactor_id")
    assert hub_verify.handler(event) == {"batchItemFailures": []}


def test_installer_reports_only_the_bad_record(moto_aws: None) -> None:
    hub_publish(built_artifact("s3_public_read"))
    hub_reactor_verify(reactor_id="s3-public-read", version="1.0.0")
    reactor_install(
        reactor_id="s3-public-read", approved_actions=approval("s3-public-read"), actor="test"
    )
    good = {"reactor_id": "s3-public-read", "version": "1.0.0", "status": "installing"}
    broken = {"reactor_id": "broken", "status": "installing"}  # no version: a bug upstream
    event = stream_event([("INSERT", broken, None), ("INSERT", good, None)], key="reactor_id")
    response = reactor_installer.handler(event)
    assert response == {"batchItemFailures": [{"itemIdentifier": "000000000000000000001"}]}
    assert LocalReactorModel.get("s3-public-read").status == "installed"
    functions = client("lambda").list_functions()["Functions"]
    assert [f["FunctionName"] for f in functions] == ["ouroboros-dev-rx-s3-public-read"]
