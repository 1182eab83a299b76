"""The local Security Hub over HTTP on 127.0.0.1, speaking Security Hub's REST-JSON protocol.

Every process that runs with ``AWS_ENDPOINT_URL_SECURITYHUB`` pointing here (the local runtime
sets it and publishes it in ``endpoints.json``) reaches the same `SecurityHubStore` with plain
boto3 clients: collectors, management commands in another terminal, the console, tests.

Routes come from the installed botocore model (``http.method`` and ``http.requestUri`` of each
operation), and requests are read by the model's member locations (uri, querystring, body), so
the server accepts exactly what boto3 sends. Every request is first checked against
the limits AWS enforces (`emulator.request_limits`): one that breaks them answers
``InvalidInputException`` as AWS does, and in BatchImportFindings a finding that breaks them is
reported in ``FailedFindings`` while the others import. Operations the store does not serve answer
``NotImplementedException``; errors carry the AWS error code in ``x-amzn-ErrorType`` and the body,
which botocore turns into the usual ``ClientError``. Signatures are not checked.

`SecurityHubExtension` is the runtime extension: it opens ``<data dir>/securityhub.sqlite3``,
starts the server on a free port, publishes the endpoint (``LocalEndpoints.securityhub``) and
sends one "Security Hub Findings - Imported" event per imported or updated finding to the local
event bus (`emulator.bus`), if one runs in this process; one "Findings Imported V2" event per
OCSF finding imported (``LOCAL_IMPORT_V2_PATH``, a local-only path: AWS has no V2 import API) or
updated with BatchUpdateFindingsV2. It also creates the runtime's own ticket connector
(`emulator.securityhub_tickets`) and publishes its id (``OUROBOROS_TICKET_CONNECTOR_ID``); the
tickets it records are listed at ``LOCAL_TICKETS_PATH``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import selectors
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session
from botocore import xform_name
from botocore.model import OperationModel, Shape

from emulator.request_limits import request_problems
from emulator.securityhub_errors import (
    FindingsV2ValidationError,
    InvalidInputError,
    LocalSecurityHubError,
    OperationNotServedError,
    ResourceNotFoundError,
)
from emulator.securityhub_findings import imported_event
from emulator.securityhub_findings_v2 import imported_v2_event
from emulator.securityhub_store import STORE_FILE, SecurityHubStore
from emulator.securityhub_tickets import LOCAL_TICKETS_PATH, local_connector_ensure

if TYPE_CHECKING:
    from emulator.runtime import LocalRuntime

logger = logging.getLogger(__name__)

#: Operations the local Security Hub serves (boto3 method names are their snake_case forms).
SERVED_OPERATIONS = (
    "GetFindings",
    "BatchImportFindings",
    "BatchUpdateFindings",
    "DescribeHub",
    "DescribeStandards",
    "GetEnabledStandards",
    "BatchEnableStandards",
    "BatchDisableStandards",
    "DescribeStandardsControls",
    "UpdateStandardsControl",
    "ListSecurityControlDefinitions",
    "ListStandardsControlAssociations",
    "BatchGetSecurityControls",
    "GetFindingsV2",
    "BatchUpdateFindingsV2",
    "CreateConnectorV2",
    "GetConnectorV2",
    "ListConnectorsV2",
    "CreateTicketV2",
)
#: The local-only import of OCSF findings (AWS has no V2 import API): POST ``{"Findings": [...]}``
#: answers like BatchImportFindings (`SecurityHubStore.findings_v2_import`).
LOCAL_IMPORT_V2_PATH = "/local/findingsv2/import"


@dataclass(frozen=True)
class _Route:
    operation: str
    method: str
    pattern: re.Pattern[str]


@lru_cache(maxsize=1)
def _model() -> Any:
    return botocore.session.get_session().get_service_model("securityhub")


@lru_cache(maxsize=1)
def _routes() -> tuple[_Route, ...]:
    model = _model()
    names = [*SERVED_OPERATIONS, *(n for n in model.operation_names if n not in SERVED_OPERATIONS)]
    routes = []
    for name in names:
        http = model.operation_model(name).http
        path = http["requestUri"].split("?")[0]
        regex = ""
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{"):
                label = part.strip("{}")
                regex += f"(?P<{label[:-1]}>.+)" if label.endswith("+") else f"(?P<{label}>[^/]+)"
            else:
                regex += re.escape(part)
        routes.append(_Route(name, http["method"], re.compile(f"{regex}/?")))
    return tuple(routes)


def _route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    for route in _routes():
        if route.method == method:
            match = route.pattern.fullmatch(path)
            if match:
                return route.operation, {k: unquote(v) for k, v in match.groupdict().items()}
    return None


def _scalar(shape: Shape, text: str) -> Any:
    if shape.type_name == "integer" or shape.type_name == "long":
        try:
            return int(text)
        except ValueError as exc:
            raise InvalidInputError(f"{shape.name}: not an integer: {text!r}") from exc
    if shape.type_name == "boolean":
        return text.lower() == "true"
    return text


def request_parse(
    operation: OperationModel, labels: dict[str, str], query: str, body: bytes
) -> dict[str, Any]:
    """The boto3-shaped request of ``operation`` from the parts of an HTTP request."""
    try:
        payload = json.loads(body) if body.strip() else {}
    except ValueError as exc:
        raise InvalidInputError("the request body is not JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidInputError("the request body is not a JSON object")
    params = parse_qs(query, keep_blank_values=True)
    request: dict[str, Any] = {}
    shape = operation.input_shape
    for name, member in shape.members.items() if shape is not None else []:
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri" and wire in labels:
            request[name] = labels[wire]
        elif location == "querystring" and wire in params:
            values = params[wire]
            if member.type_name == "list":
                request[name] = [_scalar(member.member, v) for v in values]
            else:
                request[name] = _scalar(member, values[-1])
        elif location is None and wire in payload:
            request[name] = payload[wire]
    return request


_FINDING_PATH = re.compile(r"Findings\[(\d+)\]")


def request_limits_apply(operation: str, request: dict[str, Any]) -> list[dict[str, Any]]:
    """Check ``request`` against AWS's limits (`emulator.request_limits`) as Security Hub does.

    A problem of the request as a whole is an ``InvalidInputException``. In BatchImportFindings,
    a finding that breaks a limit is taken out of ``request`` and returned as a FailedFindings
    entry (``InvalidInput``), the other findings still import: what AWS does with findings that
    do not adhere to the ASFF.
    """
    problems = request_problems("securityhub", operation, request)
    by_finding: dict[int, list[str]] = {}
    whole = []
    for problem in problems:
        match = _FINDING_PATH.match(problem) if operation == "BatchImportFindings" else None
        if match is None:
            whole.append(problem)
        else:
            by_finding.setdefault(int(match.group(1)), []).append(problem)
    if whole:
        error = FindingsV2ValidationError if operation.endswith("V2") else InvalidInputError
        raise error("Invalid input: " + "; ".join(whole))
    if not by_finding:
        return []
    findings = request["Findings"]
    request["Findings"] = [f for i, f in enumerate(findings) if i not in by_finding]
    return [_refused(findings[i], found) for i, found in sorted(by_finding.items())]


def _refused(finding: Any, problems: list[str]) -> dict[str, Any]:
    finding_id = finding.get("Id") if isinstance(finding, dict) else None
    return {
        "Id": finding_id if isinstance(finding_id, str) and finding_id else "(no Id)",
        "ErrorCode": "InvalidInput",
        "ErrorMessage": "Finding does not adhere to Amazon Finding Format. " + "; ".join(problems),
    }


def _with_refused(response: dict[str, Any], refused: list[dict[str, Any]]) -> dict[str, Any]:
    if not refused:
        return response
    failed = refused + list(response.get("FailedFindings") or [])
    return {**response, "FailedCount": len(failed), "FailedFindings": failed}


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body) if body.strip() else {}
    except ValueError as exc:
        raise FindingsV2ValidationError("the request body is not JSON") from exc
    if not isinstance(payload, dict):
        raise FindingsV2ValidationError("the request body is not a JSON object")
    return payload


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _tickets_answer(store: SecurityHubStore, path: str, query: str) -> dict[str, Any]:
    """``GET /local/tickets[?ConnectorId=]``: every recorded ticket; ``.../<connector>/<ticket>``:
    that one ticket (its ``TicketSrcUrl``)."""
    rest = [unquote(part) for part in path[len(LOCAL_TICKETS_PATH) :].split("/") if part]
    if not rest:
        connectors = parse_qs(query).get("ConnectorId") or [""]
        return {"Tickets": store.tickets_v2_recorded(connectors[-1] or None)}
    if len(rest) == 2:
        for ticket in store.tickets_v2_recorded(rest[0]):
            if ticket["TicketId"] == rest[1]:
                return dict(ticket)
    raise ResourceNotFoundError(f"no local ticket at {path}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: botocore reuses its connections
    disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stall
    server: _Server

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("securityhub %s", format % args)

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        try:
            if (method, url.path) == ("POST", LOCAL_IMPORT_V2_PATH):
                self._send(200, self.server.store.findings_v2_import(_json_body(body)))
                return
            if method == "GET" and url.path.startswith(LOCAL_TICKETS_PATH):
                self._send(200, _tickets_answer(self.server.store, url.path, url.query))
                return
            routed = _route(method, url.path)
            if routed is None:
                raise OperationNotServedError(f"no Security Hub operation at {method} {url.path}")
            name, labels = routed
            operation = _model().operation_model(name)
            request = request_parse(operation, labels, url.query, body)
            refused = request_limits_apply(name, request)
            if name not in SERVED_OPERATIONS:
                raise OperationNotServedError(f"the local Security Hub does not serve {name}")
            if refused and not request["Findings"]:  # every finding broke a limit
                response = {"FailedCount": 0, "SuccessCount": 0, "FailedFindings": []}
            else:
                response = getattr(self.server.store, xform_name(name))(request)
            self._send(200, _with_refused(response, refused))
        except LocalSecurityHubError as exc:
            self._send(exc.status_code, {"__type": exc.code, "message": str(exc)}, exc.code)
        except Exception as exc:
            logger.exception("local Security Hub failed on %s %s", method, url.path)
            code = "InternalException"
            self._send(500, {"__type": code, "message": str(exc)}, code)

    def _send(self, status: int, payload: dict[str, Any], error: str | None = None) -> None:
        data = json.dumps(payload, default=_json_default).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if error:
            self.send_header("x-amzn-ErrorType", error)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    """The HTTP server, with a loop that stops the moment it is told to.

    ``serve_forever`` notices ``shutdown()`` only when its ``select`` returns, at its poll
    interval: every stop waited up to that long (0.1 s), after the last request for a server
    stopped right after its work. This loop waits on the listening socket and a wake-up pipe, with
    no timeout at all; `stop_serving` writes to the pipe.
    """

    daemon_threads = True
    store: SecurityHubStore

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._stopping = threading.Event()
        self._wake_read, self._wake_write = socket.socketpair()

    def serve_until_stopped(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self._stopping.is_set():
                ready = selector.select()
                if self._stopping.is_set():
                    break
                if any(key.fileobj is self for key, _ in ready):
                    self._handle_request_noblock()  # type: ignore[attr-defined]  # as serve_forever
                self.service_actions()

    def stop_serving(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self._wake_read.close()
        self._wake_write.close()


class SecurityHubServer:
    """`SecurityHubStore` served on ``http://127.0.0.1:<port>`` in a background thread."""

    def __init__(self, store: SecurityHubStore, *, port: int = 0) -> None:
        self.store = store
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.store = store
        store.public_url = self.url
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SecurityHubServer:
        self._thread = threading.Thread(
            target=self._server.serve_until_stopped, name="local-securityhub", daemon=True
        )
        self._thread.start()
        logger.info("local Security Hub on %s (%s)", self.url, self.store.path)
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.stop_serving()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()


class SecurityHubExtension:
    """Runtime extension: the local Security Hub, its endpoint and its Imported events."""

    name = "securityhub"

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.server: SecurityHubServer | None = None

    def start(self, runtime: LocalRuntime) -> None:
        store = SecurityHubStore(
            runtime.data_dir / STORE_FILE,
            region=runtime.region,
            on_findings_changed=self._publish,
            on_findings_v2_changed=self._publish_v2,
        )
        self.server = SecurityHubServer(store, port=self.port).start()
        runtime.endpoints_update(
            securityhub=self.server.url, ticket_connector_id=local_connector_ensure(store)
        )

    def _publish(self, findings: list[dict[str, Any]]) -> None:
        from emulator.bus import bus_current

        bus = bus_current()
        if bus is None or self.server is None:
            logger.debug("no local event bus: %d Imported events not sent", len(findings))
            return
        store = self.server.store
        for finding in findings:
            bus.publish(imported_event(finding, account=store.account_id, region=store.region))

    def _publish_v2(self, findings: list[dict[str, Any]]) -> None:
        from emulator.bus import bus_current

        bus = bus_current()
        if bus is None or self.server is None:
            logger.debug("no local event bus: %d Imported V2 events not sent", len(findings))
            return
        store = self.server.store
        for finding in findings:
            bus.publish(imported_v2_event(finding, account=store.account_id, region=store.region))

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server.store.close()
            self.server = None
