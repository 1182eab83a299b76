"""`make run`'s demo on Security Hub V2: one OCSF SQS.1 finding on an unencrypted demo queue."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from emulator.bus import EventBusExtension
from emulator.demo import demo_member_queue
from emulator.demo_securityhub import (
    DEMO_QUEUE,
    OCSF_DEMO_ACCOUNT,
    demo_queue_fixed,
    demo_securityhub_v2_seed,
)
from emulator.endpoints import LocalEndpoints, endpoints_write
from emulator.securityhub_server import SecurityHubExtension
from ouroboros.aws import assume_role_session, reset_sessions
from ouroboros.config import reset_config
from ouroboros.securityhub.ocsf import ocsf_parse, ocsf_to_asff
from tests.emulator.securityhub_samples import FakeRuntime

pytestmark = pytest.mark.functional

QUEUE_ARN = f"arn:aws:sqs:us-east-1:{OCSF_DEMO_ACCOUNT}:{DEMO_QUEUE}"


@dataclass
class Hub:
    client: Any
    events: list[dict[str, Any]]
    wait_idle: Any


@pytest.fixture
def hub(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    """A local Security Hub and event bus that this process uses, as the demo seed finds them."""
    runtime = FakeRuntime(isolated_env)
    bus_extension, hub_extension = EventBusExtension(mirror_moto=False), SecurityHubExtension()
    bus_extension.start(runtime)  # type: ignore[arg-type]
    hub_extension.start(runtime)  # type: ignore[arg-type]
    try:
        assert bus_extension.bus is not None and hub_extension.server is not None
        events: list[dict[str, Any]] = []
        bus_extension.bus.subscribe("v2", {"detail-type": ["Findings Imported V2"]}, events.append)
        url = hub_extension.server.url
        endpoints_write(
            LocalEndpoints(
                aws="http://127.0.0.1:9",
                dynamodb="http://127.0.0.1:9",
                dynamodb_backend="moto",
                region="us-east-1",
                pid=os.getpid(),
                securityhub=url,
            ),
            isolated_env,
        )
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECURITYHUB", url)
        reset_config()
        reset_sessions()
        securityhub = boto3.client("securityhub", endpoint_url=url, region_name="us-east-1")
        yield Hub(securityhub, events, bus_extension.bus.wait_idle)
    finally:
        hub_extension.stop()
        bus_extension.stop()


def test_the_demo_seeds_one_ocsf_sqs_1_finding_once_and_its_v2_event_fires(hub: Hub) -> None:
    assert demo_securityhub_v2_seed(account=OCSF_DEMO_ACCOUNT, region="us-east-1") == 1
    assert demo_securityhub_v2_seed(account=OCSF_DEMO_ACCOUNT, region="us-east-1") == 0

    (finding,) = hub.client.get_findings_v2()["Findings"]
    normalized = ocsf_parse(finding)
    assert (normalized.control_id, normalized.account_id) == ("SQS.1", OCSF_DEMO_ACCOUNT)
    assert (normalized.compliance_status, normalized.workflow_status) == ("FAILED", "NEW")
    assert ocsf_to_asff(finding)["Resources"][0]["Id"] == QUEUE_ARN  # what the reactor reads
    assert hub.client.get_findings()["Findings"] == []
    assert hub.wait_idle(10)
    assert [e["detail"]["findings"][0] for e in hub.events] == [finding]

    assert not demo_queue_fixed(account_id=OCSF_DEMO_ACCOUNT)
    hub.client.batch_update_findings_v2(MetadataUids=[finding["metadata"]["uid"]], StatusId=4)
    assert demo_queue_fixed(account_id=OCSF_DEMO_ACCOUNT)


@pytest.fixture
def moto_sqs() -> Iterator[None]:
    """In-process moto without Ouroboros' tables (the queue test needs STS and SQS only)."""
    with mock_aws():
        reset_sessions()
        yield
    reset_sessions()


@pytest.mark.parametrize("encrypted", [False, True])
def test_the_demo_queue_is_unencrypted_until_fixed(moto_sqs: None, encrypted: bool) -> None:
    demo_member_queue(OCSF_DEMO_ACCOUNT, encrypted=encrypted)
    session = assume_role_session(
        f"arn:aws:iam::{OCSF_DEMO_ACCOUNT}:role/OrganizationAccountAccessRole",
        external_id="",
        session_name="test",
    )
    sqs = session.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=DEMO_QUEUE, QueueOwnerAWSAccountId=OCSF_DEMO_ACCOUNT)
    attributes = sqs.get_queue_attributes(QueueUrl=url["QueueUrl"], AttributeNames=["All"])
    assert attributes["Attributes"]["QueueArn"] == QUEUE_ARN
    assert attributes["Attributes"].get("SqsManagedSseEnabled") == str(encrypted).lower()
    assert "KmsMasterKeyId" not in attributes["Attributes"]
