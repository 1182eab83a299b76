"""The local Security Hub's ticket connectors, driven by plain boto3 clients over HTTP.

CreateConnectorV2 / GetConnectorV2 / ListConnectorsV2 answer botocore's shapes; CreateTicketV2
records one ticket per ClientToken for a known V2 finding, with the payload Security Hub would
send, refuses unknown connectors and findings and reused tokens with other parameters as AWS
does, and records nothing in DRYRUN mode. The runtime extension creates its own connector once
and publishes its id.
"""

from __future__ import annotations

import copy
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.demo import demo_ticket_open
from emulator.demo_securityhub import OCSF_DEMO_ACCOUNT, demo_securityhub_v2_seed
from emulator.endpoints import LocalEndpoints, endpoints_write
from emulator.securityhub_import import ocsf_findings_import
from emulator.securityhub_server import SecurityHubExtension
from emulator.securityhub_store import SecurityHubStore
from emulator.securityhub_tickets import (
    LOCAL_CONNECTOR_NAME,
    LOCAL_CONNECTOR_TOKEN,
    LocalTicketsUnavailableError,
    local_connector_ensure,
    local_tickets_read,
)
from ouroboros.aws import reset_sessions
from ouroboros.config import reset_config
from tests.conftest import load_event
from tests.emulator.securityhub_samples import FakeRuntime

pytestmark = pytest.mark.functional

SQS_1 = load_event("ocsf/02_shcspm_control_SQS.1_compliance_fail_new.json")
SSM_1 = load_event("ocsf/05_shcspm_control_SSM.1_compliance_fail_update_ec2.json")
JIRA = {"JiraCloud": {"ProjectKey": "SEC"}}
SERVICENOW = {
    "ServiceNow": {
        "InstanceName": "example",
        "SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:snow-AbCdEf",
    }
}


@dataclass
class Hub:
    url: str
    client: Any
    runtime: FakeRuntime

    def connector(self, provider: dict[str, Any] = JIRA, **request: Any) -> str:
        request.setdefault("Name", "security-tickets")
        return str(self.client.create_connector_v2(Provider=provider, **request)["ConnectorId"])


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    runtime = FakeRuntime(tmp_path)
    extension = SecurityHubExtension()
    extension.start(runtime)  # type: ignore[arg-type]
    try:
        url = runtime.published["securityhub"]
        ocsf_findings_import(url, [copy.deepcopy(SQS_1), copy.deepcopy(SSM_1)])
        securityhub = boto3.client("securityhub", endpoint_url=url, region_name="us-east-1")
        yield Hub(url, securityhub, runtime)
    finally:
        extension.stop()


def _code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def test_connectors_are_created_read_and_listed_in_botocore_shapes(hub: Hub) -> None:
    created = hub.client.create_connector_v2(
        Name="jira", Description="security queue", Provider=JIRA
    )
    assert (created["ConnectorStatus"], created["EnablementStatus"]) == ("CONNECTED", "ENABLED")
    assert created["ConnectorArn"] == (
        f"arn:aws:securityhub:us-east-1:123456789012:connectorv2/{created['ConnectorId']}"
    )
    snow = hub.connector(SERVICENOW, Name="snow")

    jira = hub.client.get_connector_v2(ConnectorId=created["ConnectorId"])
    assert (jira["Name"], jira["Description"]) == ("jira", "security queue")
    assert jira["ProviderDetail"]["JiraCloud"]["ProjectKey"] == "SEC"
    assert jira["Health"]["ConnectorStatus"] == "CONNECTED"
    assert jira["CreatedAt"].tzinfo is not None  # botocore parsed the timestamp
    by_arn = hub.client.get_connector_v2(ConnectorId=created["ConnectorArn"])
    assert by_arn["ConnectorId"] == created["ConnectorId"]
    assert hub.client.get_connector_v2(ConnectorId=snow)["ProviderDetail"]["ServiceNow"][
        "InstanceName"
    ] == ("example")

    listed = hub.client.list_connectors_v2()["Connectors"]
    assert [c["Name"] for c in listed] == [LOCAL_CONNECTOR_NAME, "jira", "snow"]
    assert [c["ProviderSummary"]["ProviderName"] for c in listed] == [
        "JIRA_CLOUD",
        "JIRA_CLOUD",
        "SERVICENOW",
    ]
    only_snow = hub.client.list_connectors_v2(ProviderName="SERVICENOW")["Connectors"]
    assert [c["ConnectorId"] for c in only_snow] == [snow]
    first = hub.client.list_connectors_v2(MaxResults=2)
    second = hub.client.list_connectors_v2(MaxResults=2, NextToken=first["NextToken"])
    assert [c["Name"] for c in first["Connectors"] + second["Connectors"]] == [
        LOCAL_CONNECTOR_NAME,
        "jira",
        "snow",
    ]
    assert "NextToken" not in second


def test_connector_creation_is_idempotent_on_client_token(hub: Hub) -> None:
    first = hub.connector(Name="jira", ClientToken="token-1")
    assert hub.connector(Name="jira", ClientToken="token-1") == first
    assert len(hub.client.list_connectors_v2()["Connectors"]) == 2  # the runtime's own + this
    with pytest.raises(ClientError) as raised:
        hub.connector(Name="other", ClientToken="token-1")
    assert _code(raised) == "ConflictException"


@pytest.mark.parametrize(
    ("request_", "code", "named"),
    [
        (
            {
                "Name": "x",
                "Provider": {
                    "GCP": {
                        "AWSConfigConnectorArn": "arn:aws:config:us-east-1:1:x",
                        "ScopeConfiguration": {"ScopeType": "PROJECT"},
                        "GCPRegions": ["us-east1"],
                    }
                },
            },
            "ValidationException",
            "GCP",
        ),
        ({"Name": " ", "Provider": JIRA}, "ValidationException", "Name"),
    ],
    ids=["gcp", "blank-name"],
)
def test_connectors_the_local_hub_cannot_serve_are_refused(
    hub: Hub, request_: dict[str, Any], code: str, named: str
) -> None:
    with pytest.raises(ClientError) as raised:
        hub.client.create_connector_v2(**request_)
    assert _code(raised) == code
    assert named in raised.value.response["Error"]["Message"]


def test_a_connector_with_two_providers_is_refused_over_raw_http(hub: Hub) -> None:
    """botocore refuses such a union before sending it: other HTTP clients are answered too."""
    request = urllib.request.Request(
        hub.url + "/connectorsv2",
        data=json.dumps({"Name": "x", "Provider": {**JIRA, **SERVICENOW}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400
    answer = json.loads(raised.value.read())
    raised.value.close()
    assert answer["__type"] == "ValidationException"
    assert "tagged union structure Provider" in answer["message"]


def test_get_of_an_unknown_connector_is_resource_not_found(hub: Hub) -> None:
    with pytest.raises(ClientError) as raised:
        hub.client.get_connector_v2(ConnectorId="nope")
    assert _code(raised) == "ResourceNotFoundException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_a_ticket_is_recorded_once_per_client_token_with_the_finding(hub: Hub) -> None:
    connector = hub.connector()
    uid = SQS_1["metadata"]["uid"]
    first = hub.client.create_ticket_v2(
        ConnectorId=connector, FindingMetadataUid=uid, ClientToken="finding-v1"
    )
    assert first["TicketId"] == "SEC-1"
    for _ in range(3):
        again = hub.client.create_ticket_v2(
            ConnectorId=connector, FindingMetadataUid=uid, ClientToken="finding-v1"
        )
        assert (again["TicketId"], again["TicketSrcUrl"]) == (
            first["TicketId"],
            first["TicketSrcUrl"],
        )
    (ticket,) = local_tickets_read(hub.url, connector_id=connector)
    assert (ticket["TicketId"], ticket["FindingMetadataUid"]) == ("SEC-1", uid)
    assert ticket["Payload"]["summary"] == SQS_1["finding_info"]["title"]
    assert ticket["Payload"]["provider"] == "JIRA_CLOUD"
    assert ticket["Payload"]["finding"]["finding_info"] == SQS_1["finding_info"]
    with urllib.request.urlopen(first["TicketSrcUrl"], timeout=10) as page:
        assert page.status == 200
        assert b'"TicketId": "SEC-1"' in page.read()

    second = hub.client.create_ticket_v2(
        ConnectorId=connector, FindingMetadataUid=uid, ClientToken="finding-v2"
    )
    assert second["TicketId"] == "SEC-2"
    snow = hub.connector(SERVICENOW, Name="snow")
    incident = hub.client.create_ticket_v2(
        ConnectorId=snow, FindingMetadataUid=SSM_1["metadata"]["uid"]
    )
    assert incident["TicketId"] == "INC0000001"
    assert [t["TicketId"] for t in local_tickets_read(hub.url)] == ["SEC-1", "SEC-2", "INC0000001"]


def test_a_reused_client_token_with_other_parameters_is_a_conflict(hub: Hub) -> None:
    connector = hub.connector()
    hub.client.create_ticket_v2(
        ConnectorId=connector, FindingMetadataUid=SQS_1["metadata"]["uid"], ClientToken="t"
    )
    with pytest.raises(ClientError) as raised:
        hub.client.create_ticket_v2(
            ConnectorId=connector, FindingMetadataUid=SSM_1["metadata"]["uid"], ClientToken="t"
        )
    assert _code(raised) == "ConflictException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert len(local_tickets_read(hub.url)) == 1


def test_dry_run_checks_the_request_and_records_nothing(hub: Hub) -> None:
    connector = hub.connector()
    answer = hub.client.create_ticket_v2(
        ConnectorId=connector, FindingMetadataUid=SQS_1["metadata"]["uid"], Mode="DRYRUN"
    )
    assert answer["TicketId"] == "DRYRUN"
    assert "TicketSrcUrl" not in answer
    assert local_tickets_read(hub.url) == []
    with pytest.raises(ClientError) as raised:
        hub.client.create_ticket_v2(
            ConnectorId=connector, FindingMetadataUid="unknown", Mode="DRYRUN"
        )
    assert _code(raised) == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("connector", "finding", "named"),
    [("unknown", "sqs", "Connector unknown"), ("known", "unknown", "Finding unknown")],
    ids=["unknown-connector", "unknown-finding"],
)
def test_tickets_for_unknown_connectors_or_findings_are_refused(
    hub: Hub, connector: str, finding: str, named: str
) -> None:
    connector_id = hub.connector() if connector == "known" else connector
    uid = SQS_1["metadata"]["uid"] if finding == "sqs" else finding
    with pytest.raises(ClientError) as raised:
        hub.client.create_ticket_v2(ConnectorId=connector_id, FindingMetadataUid=uid)
    assert _code(raised) == "ResourceNotFoundException"
    assert named in raised.value.response["Error"]["Message"]
    assert local_tickets_read(hub.url) == []


def test_the_runtime_publishes_its_own_connector_once(hub: Hub, tmp_path: Path) -> None:
    connector_id = hub.runtime.published["ticket_connector_id"]
    assert hub.client.get_connector_v2(ConnectorId=connector_id)["Name"] == LOCAL_CONNECTOR_NAME
    uid = SQS_1["metadata"]["uid"]
    hub.client.create_ticket_v2(ConnectorId=connector_id, FindingMetadataUid=uid, ClientToken="t")
    restarted = FakeRuntime(tmp_path)
    extension = SecurityHubExtension()
    extension.start(restarted)  # type: ignore[arg-type]
    try:
        assert restarted.published["ticket_connector_id"] == connector_id
        url = restarted.published["securityhub"]
        client = boto3.client("securityhub", endpoint_url=url, region_name="us-east-1")
        replay = client.create_ticket_v2(
            ConnectorId=connector_id, FindingMetadataUid=uid, ClientToken="t"
        )
        assert replay["TicketId"] == "LOCAL-1"
        assert replay["TicketSrcUrl"].startswith(url + "/local/tickets/")  # the port of now
    finally:
        extension.stop()
    endpoints = LocalEndpoints(
        aws="a", dynamodb="d", dynamodb_backend="moto", region="r", pid=1,
        ticket_connector_id=connector_id,
    )  # fmt: skip
    assert endpoints.environ()["OUROBOROS_TICKET_CONNECTOR_ID"] == connector_id


def test_a_data_folder_keeps_its_connector_when_the_local_settings_change(tmp_path: Path) -> None:
    store = SecurityHubStore(tmp_path / "securityhub.sqlite3", enable_default_standards=False)
    try:
        older = store.create_connector_v2(
            {"Name": "older", "Provider": JIRA, "ClientToken": LOCAL_CONNECTOR_TOKEN}
        )
        assert local_connector_ensure(store) == older["ConnectorId"]  # no ConflictException
    finally:
        store.close()


def test_reading_tickets_without_a_local_hub_is_a_clear_error(hub: Hub) -> None:
    with pytest.raises(LocalTicketsUnavailableError, match="cannot be read"):
        local_tickets_read("http://127.0.0.1:9")


def test_the_demo_opens_one_ticket_for_its_ocsf_finding_once(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = FakeRuntime(isolated_env)
    extension = SecurityHubExtension()
    extension.start(runtime)  # type: ignore[arg-type]
    try:
        url, connector_id = (
            runtime.published["securityhub"],
            runtime.published["ticket_connector_id"],
        )
        endpoints = LocalEndpoints(
            aws="http://127.0.0.1:9", dynamodb="http://127.0.0.1:9", dynamodb_backend="moto",
            region="us-east-1", pid=os.getpid(), securityhub=url, ticket_connector_id=connector_id,
        )  # fmt: skip
        endpoints_write(endpoints, isolated_env)
        for key, value in endpoints.environ().items():
            monkeypatch.setenv(key, value)
        reset_config()
        reset_sessions()
        assert demo_ticket_open(account=OCSF_DEMO_ACCOUNT) is None  # no OCSF finding yet
        assert demo_securityhub_v2_seed(account=OCSF_DEMO_ACCOUNT, region="us-east-1") == 1

        ticket_id = demo_ticket_open(account=OCSF_DEMO_ACCOUNT)
        assert ticket_id == "LOCAL-1"
        assert demo_ticket_open(account=OCSF_DEMO_ACCOUNT) == ticket_id  # a restart: the same one
        (ticket,) = local_tickets_read(url)
        assert ticket["ConnectorId"] == connector_id
        finding = ticket["Payload"]["finding"]
        assert (finding["compliance"]["control"], finding["cloud"]["account"]["uid"]) == (
            "SQS.1",
            OCSF_DEMO_ACCOUNT,
        )
    finally:
        extension.stop()
        reset_sessions()
