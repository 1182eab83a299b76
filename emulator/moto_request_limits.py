"""AWS's request limits on the moto server: a WSGI middleware in front of moto's application.

moto accepts a 70-character role name or a 6th target on a rule; AWS does not. The middleware
finds the operation of a request from its headers alone (``X-Amz-Target`` for JSON-protocol
services, the SigV4 credential scope for the others), so requests of services it does not check
pass untouched and unread. For the operations it checks it reads the body, rebuilds the request
parameters and checks them with `emulator.request_limits` (the documented limits and the model's
``max`` / ``pattern`` / enum; not botocore's type checks, since on the wire timestamps are numbers
and blobs base64 text). A request that breaks a limit gets the error AWS sends for invalid input
in that protocol (400 ``ValidationException`` / ``ValidationError`` /
``InvalidParameterValueException``) and never reaches moto.

Checked: every operation of EventBridge, Step Functions and SSM (JSON protocol); the top-level
scalar parameters of IAM, STS and SNS (query protocol: names, policy documents, messages); Lambda
CreateFunction. Security Hub is not here: the local Security Hub server checks its own requests.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from emulator.request_limits import documented_problems, model_walk_problems, service_model

logger = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: JSON-protocol target prefixes (``X-Amz-Target: AWSEvents.PutRule``) -> botocore service.
JSON_TARGETS = {"AWSEvents": "events", "AWSStepFunctions": "stepfunctions", "AmazonSSM": "ssm"}
#: Query-protocol services (form body with ``Action=``), by their SigV4 signing name.
QUERY_SERVICES = {"iam": "iam", "sts": "sts", "sns": "sns"}
_LAMBDA_CREATE = re.compile(r"/2015-03-31/functions/?")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_SCALARS = ("string", "integer", "long", "boolean")
_LAMBDA_INVALID = "InvalidParameterValueException"
#: An error response: content type, body, extra headers.
_Refusal = tuple[str, str, list[tuple[str, str]]]


def wire_problems(service: str, operation: str, params: Mapping[str, Any]) -> list[str]:
    """The documented and model (max / pattern / enum) problems of a request read off the wire."""
    model = service_model(service).operation_model(operation)
    documented = documented_problems(service, operation, params)
    covered = {problem.split(":", 1)[0] for problem in documented}
    walked = model_walk_problems(model, params)
    return [p for p in walked if p.split(":", 1)[0] not in covered] + documented


class RequestLimitsMiddleware:
    """Refuses, as AWS would, the requests to ``app`` (moto) that break AWS's limits."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            refusal = self._refusal(environ)
        except Exception:  # a check that fails must not take moto down: moto answers instead
            logger.exception("request limits: could not check %s", environ.get("PATH_INFO"))
            refusal = None
        if refusal is None:
            return self.app(environ, start_response)
        content_type, text, headers = refusal
        data = text.encode()
        start_response(
            "400 Bad Request",
            [("Content-Type", content_type), ("Content-Length", str(len(data))), *headers],
        )
        return [data]

    def _refusal(self, environ: dict[str, Any]) -> _Refusal | None:
        """The error response for this request, or None when it keeps AWS's limits."""
        prefix, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        signing = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        signed_for = signing.group(1) if signing else ""
        post = environ.get("REQUEST_METHOD") == "POST"
        if prefix in JSON_TARGETS and operation:
            return _json_refusal(JSON_TARGETS[prefix], operation, _body(environ))
        if signed_for in QUERY_SERVICES and post:
            return _query_refusal(QUERY_SERVICES[signed_for], _body(environ))
        if signed_for == "lambda" and post and _LAMBDA_CREATE.fullmatch(environ["PATH_INFO"]):
            return _lambda_create_refusal(_body(environ))
        return None


def _json_refusal(service: str, operation: str, body: bytes) -> _Refusal | None:
    if not _known(service, operation):
        return None
    problems = wire_problems(service, operation, _json_body(body))
    if not problems:
        return None
    payload = {"__type": "ValidationException", "message": _message(problems)}
    return "application/x-amz-json-1.1", json.dumps(payload), []


def _query_refusal(service: str, body: bytes) -> _Refusal | None:
    form = parse_qs(body.decode(errors="replace"), keep_blank_values=True)
    operation = (form.get("Action") or [""])[0]
    if not _known(service, operation):
        return None
    problems = wire_problems(service, operation, _query_scalars(service, operation, form))
    if not problems:
        return None
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
        f"<Message>{escape(_message(problems))}</Message></Error>"
        "<RequestId>request-limits</RequestId></ErrorResponse>"
    )
    return "text/xml", xml, []


def _lambda_create_refusal(body: bytes) -> _Refusal | None:
    problems = wire_problems("lambda", "CreateFunction", _json_body(body))
    if not problems:
        return None
    payload = {"Type": "User", "message": _message(problems)}
    return "application/json", json.dumps(payload), [("x-amzn-ErrorType", _LAMBDA_INVALID)]


def _body(environ: dict[str, Any]) -> bytes:
    """The request body, put back so that moto reads it too."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        params = json.loads(body) if body.strip() else {}
    except ValueError:
        return {}  # moto answers malformed JSON itself
    return params if isinstance(params, dict) else {}


def _known(service: str, operation: str) -> bool:
    return operation in service_model(service).operation_names


def _query_scalars(service: str, operation: str, form: dict[str, list[str]]) -> dict[str, Any]:
    """The top-level scalar parameters of a query-protocol request, typed by the model."""
    shape = service_model(service).operation_model(operation).input_shape
    params: dict[str, Any] = {}
    for name, member in shape.members.items() if shape is not None else []:
        values = form.get(member.serialization.get("name", name))
        if not values or member.type_name not in _SCALARS:
            continue
        text = values[-1]
        if member.type_name in ("integer", "long"):
            params[name] = int(text) if text.lstrip("-").isdigit() else text
        elif member.type_name == "boolean":
            params[name] = text.lower() == "true"
        else:
            params[name] = text
    return params


def _message(problems: list[str]) -> str:
    return f"{len(problems)} validation error(s) detected: " + "; ".join(problems)
