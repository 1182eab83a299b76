"""The local Security Hub's ticket connectors: CreateConnectorV2, GetConnectorV2,
ListConnectorsV2 and CreateTicketV2, against a local connector that records tickets.

A mixin of `SecurityHubStore`, in the same SQLite file: table ``connectors_v2`` keeps each
connector (JiraCloud or ServiceNow, the ticketing providers of botocore's ``ProviderConfiguration``;
Azure and GCP connectors are refused), table ``tickets_v2`` each ticket the connector would have
opened in Jira or ServiceNow, with the payload Security Hub would send (the OCSF finding as stored
when the ticket was opened, its title, description and severity). Nothing leaves the machine.

Differences from AWS, on purpose: a local connector is ``CONNECTED`` at once (AWS answers
``PENDING_AUTHORIZATION`` and an ``AuthUrl`` for Jira's OAuth, and checks a ServiceNow
``SecretArn``); ticket ids are ``<ProjectKey>-<n>`` (Jira, project key ``LOCAL`` when none is
given) or ``INC<7 digits>`` (ServiceNow), numbered per connector; ``TicketSrcUrl`` is the local
server's ``/local/tickets/<ConnectorId>/<TicketId>``.

Both create operations are idempotent on ``ClientToken`` (boto3 fills one in when the caller does
not): the same token with the same parameters answers the first result and records nothing new;
with other parameters it answers ``ConflictException``. CreateTicketV2 refuses an unknown connector
or a ``FindingMetadataUid`` that names no V2 finding with ``ResourceNotFoundException``;
``Mode="DRYRUN"`` checks the same and records nothing (``TicketId`` ``DRYRUN``, no URL).

`local_connector_ensure` creates the runtime's own connector (idempotently: a fixed token), whose
id the runtime publishes as ``OUROBOROS_TICKET_CONNECTOR_ID``; `local_tickets_read` reads the
recorded tickets of a running local Security Hub over HTTP (``GET /local/tickets``).
"""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from emulator.securityhub_errors import (
    ConflictError,
    FindingsV2ValidationError,
    ResourceNotFoundError,
)
from emulator.securityhub_findings import now_timestamp
from ouroboros.errors import OuroborosError

if TYPE_CHECKING:
    from emulator.securityhub_store import SecurityHubStore

#: Local-only listing of the recorded tickets (``GET``; ``?ConnectorId=`` narrows it), and the
#: prefix of each ticket's ``TicketSrcUrl`` (``<path>/<ConnectorId>/<TicketId>``).
LOCAL_TICKETS_PATH = "/local/tickets"
#: The runtime's own connector (`local_connector_ensure`).
LOCAL_CONNECTOR_NAME = "ouroboros-local"
LOCAL_CONNECTOR_TOKEN = "ouroboros-local-connector"  # noqa: S105 - an idempotency token
LOCAL_PROJECT_KEY = "LOCAL"
DRYRUN_TICKET_ID = "DRYRUN"
MAX_CONNECTORS_PAGE = 100

TICKETS_SCHEMA = """
CREATE TABLE IF NOT EXISTS connectors_v2 (
    connector_id TEXT PRIMARY KEY, client_token TEXT UNIQUE, request TEXT NOT NULL,
    created_at TEXT NOT NULL, raw TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tickets_v2 (
    connector_id TEXT NOT NULL, ticket_id TEXT NOT NULL, client_token TEXT NOT NULL UNIQUE,
    finding_metadata_uid TEXT NOT NULL, created_at TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (connector_id, ticket_id))
"""
_PROVIDERS = {"JiraCloud": "JIRA_CLOUD", "ServiceNow": "SERVICENOW"}
_CONNECTOR_FIELDS = ("Name", "Description", "Provider", "KmsKeyArn", "Tags")


class LocalTicketsUnavailableError(OuroborosError):
    """The recorded tickets cannot be read: no local Security Hub answers at the endpoint."""


class _Database(Protocol):
    region: str
    account_id: str
    public_url: str

    def _read(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _provider(request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    provider = request.get("Provider")
    if not isinstance(provider, dict) or len(provider) != 1:
        raise FindingsV2ValidationError("Provider must name exactly one provider")
    ((name, configuration),) = provider.items()
    if name not in _PROVIDERS:
        raise FindingsV2ValidationError(
            f"the local Security Hub serves ticketing connectors (JiraCloud, ServiceNow), "
            f"not {name}"
        )
    if not isinstance(configuration, dict):
        raise FindingsV2ValidationError(f"Provider.{name} must be an object")
    if name == "ServiceNow":
        missing = [k for k in ("InstanceName", "SecretArn") if not configuration.get(k)]
        if missing:
            raise FindingsV2ValidationError(f"Provider.ServiceNow needs {', '.join(missing)}")
    return name, configuration


def _provider_detail(name: str, configuration: dict[str, Any]) -> dict[str, Any]:
    if name == "JiraCloud":
        return {
            "JiraCloud": {
                "ProjectKey": configuration.get("ProjectKey") or LOCAL_PROJECT_KEY,
                "Domain": "local",
                "AuthStatus": "ACTIVE",
            }
        }
    return {
        "ServiceNow": {
            "InstanceName": configuration["InstanceName"],
            "SecretArn": configuration["SecretArn"],
            "AuthStatus": "ACTIVE",
        }
    }


def _connector_load(db: sqlite3.Connection, connector_id: str) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT raw FROM connectors_v2 WHERE connector_id = ? OR json_extract(raw, "
        "'$.ConnectorArn') = ?",
        (connector_id, connector_id),
    ).fetchone()
    return None if row is None else dict(json.loads(row[0]))


def _summary(connector: dict[str, Any]) -> dict[str, Any]:
    (provider,) = connector["ProviderDetail"]
    summary = {
        "ConnectorArn": connector["ConnectorArn"],
        "ConnectorId": connector["ConnectorId"],
        "Name": connector["Name"],
        "ProviderSummary": {
            "ProviderName": _PROVIDERS[provider],
            "ConnectorStatus": connector["Health"]["ConnectorStatus"],
            "ProviderConfiguration": connector["ProviderDetail"],
        },
        "CreatedAt": connector["CreatedAt"],
        "EnablementStatus": connector["EnablementStatus"],
    }
    if "Description" in connector:
        summary["Description"] = connector["Description"]
    return summary


def _ticket_id(db: sqlite3.Connection, connector: dict[str, Any]) -> str:
    count = db.execute(
        "SELECT COUNT(*) FROM tickets_v2 WHERE connector_id = ?", (connector["ConnectorId"],)
    ).fetchone()[0]
    number = int(count) + 1
    detail = connector["ProviderDetail"]
    if "JiraCloud" in detail:
        return f"{detail['JiraCloud']['ProjectKey']}-{number}"
    return f"INC{number:07d}"


def ticket_payload(connector: dict[str, Any], finding: dict[str, Any]) -> dict[str, Any]:
    """What Security Hub would send to the connector's provider for ``finding`` (OCSF)."""
    info = finding.get("finding_info") or {}
    (provider,) = connector["ProviderDetail"]
    return {
        "provider": _PROVIDERS[provider],
        "summary": str(info.get("title") or info.get("uid") or finding["metadata"]["uid"]),
        "description": str(info.get("desc") or ""),
        "severity": finding.get("severity"),
        "finding": finding,
    }


class TicketsV2Operations:
    """Mixin of `SecurityHubStore`: the ticket connectors and the tickets they record."""

    def create_connector_v2(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        """CreateConnectorV2 of a JiraCloud or ServiceNow connector, idempotent on ClientToken."""
        name = request.get("Name")
        if not isinstance(name, str) or not name.strip():
            raise FindingsV2ValidationError("Name is required")
        provider, configuration = _provider(request)
        asked = _canonical({k: request[k] for k in _CONNECTOR_FIELDS if k in request})
        token = request.get("ClientToken")
        with self._write() as db:
            if token:
                row = db.execute(
                    "SELECT request, raw FROM connectors_v2 WHERE client_token = ?", (token,)
                ).fetchone()
                if row is not None:
                    if row[0] != asked:
                        raise ConflictError(
                            "ClientToken was already used to create a connector with different "
                            "parameters"
                        )
                    return _created(json.loads(row[1]))
            connector_id = str(uuid.uuid4())
            now = now_timestamp()
            connector: dict[str, Any] = {
                "ConnectorArn": (
                    f"arn:aws:securityhub:{self.region}:{self.account_id}:"
                    f"connectorv2/{connector_id}"
                ),
                "ConnectorId": connector_id,
                "Name": name,
                "CreatedAt": now,
                "LastUpdatedAt": now,
                "Health": {
                    "ConnectorStatus": "CONNECTED",
                    "Message": "local connector: records tickets, calls no ticketing system",
                    "LastCheckedAt": now,
                },
                "ProviderDetail": _provider_detail(provider, configuration),
                "EnablementStatus": "ENABLED",
            }
            for optional in ("Description", "KmsKeyArn"):
                if request.get(optional):
                    connector[optional] = request[optional]
            db.execute(
                "INSERT INTO connectors_v2 (connector_id, client_token, request, created_at, raw)"
                " VALUES (?, ?, ?, ?, ?)",
                (connector_id, token or None, asked, now, json.dumps(connector)),
            )
        return _created(connector)

    def get_connector_v2(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        """GetConnectorV2 by ConnectorId (or ConnectorArn)."""
        with self._read() as db:
            connector = _connector_load(db, str(request.get("ConnectorId") or ""))
        if connector is None:
            raise ResourceNotFoundError(f"Connector {request.get('ConnectorId')} not found")
        return connector

    def list_connectors_v2(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        """ListConnectorsV2, oldest first, filtered by provider and statuses, in pages."""
        limit = int(request.get("MaxResults") or MAX_CONNECTORS_PAGE)
        token = request.get("NextToken") or "0"
        if not token.isdigit():
            raise FindingsV2ValidationError("NextToken is not one this Security Hub gave")
        with self._read() as db:
            rows = db.execute(
                "SELECT raw FROM connectors_v2 ORDER BY created_at, connector_id"
            ).fetchall()
        summaries = [_summary(json.loads(row[0])) for row in rows]
        wanted = {
            "ProviderName": request.get("ProviderName"),
            "ConnectorStatus": request.get("ConnectorStatus"),
        }
        summaries = [
            s
            for s in summaries
            if all(v is None or s["ProviderSummary"][k] == v for k, v in wanted.items())
            and request.get("EnablementStatus") in (None, s["EnablementStatus"])
        ]
        start = int(token)
        response: dict[str, Any] = {"Connectors": summaries[start : start + limit]}
        if start + limit < len(summaries):
            response["NextToken"] = str(start + limit)
        return response

    def create_ticket_v2(self: _Database, request: dict[str, Any]) -> dict[str, Any]:
        """CreateTicketV2: record the ticket the connector would open for the V2 finding."""
        connector_id = str(request.get("ConnectorId") or "")
        metadata_uid = str(request.get("FindingMetadataUid") or "")
        token = str(request.get("ClientToken") or uuid.uuid4())
        dry_run = request.get("Mode") == "DRYRUN"
        with self._write() as db:
            connector = _connector_load(db, connector_id)
            if connector is None:
                raise ResourceNotFoundError(f"Connector {connector_id} not found")
            row = db.execute(
                "SELECT raw FROM findings_v2 WHERE metadata_uid = ?", (metadata_uid,)
            ).fetchone()
            if row is None:
                raise ResourceNotFoundError(f"Finding {metadata_uid} not found")
            if dry_run:
                return {"TicketId": DRYRUN_TICKET_ID}
            known = db.execute(
                "SELECT connector_id, finding_metadata_uid, record FROM tickets_v2 "
                "WHERE client_token = ?",
                (token,),
            ).fetchone()
            if known is not None:
                if (known[0], known[1]) != (connector["ConnectorId"], metadata_uid):
                    raise ConflictError(
                        "ClientToken was already used to create a ticket with different parameters"
                    )
                record = json.loads(known[2])
                return {"TicketId": record["TicketId"], "TicketSrcUrl": _src_url(self, record)}
            ticket_id = _ticket_id(db, connector)
            record = {
                "TicketId": ticket_id,
                "ConnectorId": connector["ConnectorId"],
                "FindingMetadataUid": metadata_uid,
                "ClientToken": token,
                "CreatedAt": now_timestamp(),
                "Payload": ticket_payload(connector, json.loads(row[0])),
            }
            db.execute(
                "INSERT INTO tickets_v2 (connector_id, ticket_id, client_token, "
                "finding_metadata_uid, created_at, record) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    connector["ConnectorId"],
                    ticket_id,
                    token,
                    metadata_uid,
                    record["CreatedAt"],
                    json.dumps(record),
                ),
            )
        return {"TicketId": ticket_id, "TicketSrcUrl": _src_url(self, record)}

    def connector_v2_id_by_token(self: _Database, client_token: str) -> str | None:
        """Local only: the id of the connector created with ``client_token``, or None."""
        with self._read() as db:
            row = db.execute(
                "SELECT connector_id FROM connectors_v2 WHERE client_token = ?", (client_token,)
            ).fetchone()
        return None if row is None else str(row[0])

    def tickets_v2_recorded(
        self: _Database, connector_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Local only: the recorded tickets (of ``connector_id``, or all), oldest first."""
        sql = "SELECT record FROM tickets_v2"
        params: tuple[str, ...] = ()
        if connector_id:
            sql, params = sql + " WHERE connector_id = ?", (connector_id,)
        with self._read() as db:
            rows = db.execute(sql + " ORDER BY created_at, rowid", params).fetchall()
        records = [json.loads(row[0]) for row in rows]
        return [{**record, "TicketSrcUrl": _src_url(self, record)} for record in records]


def _src_url(store: _Database, record: dict[str, Any]) -> str:
    """The ticket's local page on the server as it listens now (its port changes at restarts)."""
    parts = (record["ConnectorId"], record["TicketId"])
    path = "/".join(urllib.parse.quote(part, safe="") for part in parts)
    return f"{store.public_url}{LOCAL_TICKETS_PATH}/{path}"


def _created(connector: dict[str, Any]) -> dict[str, Any]:
    return {
        "ConnectorArn": connector["ConnectorArn"],
        "ConnectorId": connector["ConnectorId"],
        "ConnectorStatus": connector["Health"]["ConnectorStatus"],
        "EnablementStatus": connector["EnablementStatus"],
    }


def local_connector_ensure(store: SecurityHubStore) -> str:
    """Create the local runtime's own Jira-shaped connector once (a fixed ClientToken); its id.

    A data folder whose connector was created with other settings (an older version of this
    function) keeps that connector: the token, not the settings, says which one is the runtime's.
    """
    known = store.connector_v2_id_by_token(LOCAL_CONNECTOR_TOKEN)
    if known is not None:
        return known
    response = store.create_connector_v2(
        {
            "Name": LOCAL_CONNECTOR_NAME,
            "Description": "The local runtime's connector: records tickets, sends none",
            "Provider": {"JiraCloud": {"ProjectKey": LOCAL_PROJECT_KEY}},
            "ClientToken": LOCAL_CONNECTOR_TOKEN,
        }
    )
    return str(response["ConnectorId"])


def local_tickets_read(endpoint: str, *, connector_id: str | None = None) -> list[dict[str, Any]]:
    """The tickets recorded by the local Security Hub at ``endpoint`` (oldest first)."""
    url = endpoint.rstrip("/") + LOCAL_TICKETS_PATH
    if connector_id:
        url += "?" + urllib.parse.urlencode({"ConnectorId": connector_id})
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - local http
            answer = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise LocalTicketsUnavailableError(
            f"the local Security Hub's tickets cannot be read at {url}: {exc}"
        ) from exc
    return list(answer["Tickets"])
