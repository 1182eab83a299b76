"""Local Lambda: a ``before-call.lambda.Invoke`` hook that runs the function's code in-process.

moto keeps a registry of functions but runs no code without Docker. While the local runtime runs,
every ``lambda.Invoke`` made in this process (any boto3 session, including moto's own Step
Functions tasks) is answered here, when the function is one of:

- a project function, by name (`PROJECT_FUNCTIONS`: name -> ``module.attribute`` of the handler,
  as Lambda's own ``Handler`` setting spells it; other parts add theirs with
  `project_function_register`);
- an installed reactor (``ouroboros-<stage>-rx-<id>``, status ``installed``): its code is
  taken from the artifact the installer installed, never from the source tree. The artifact is
  fetched from the Hub's bucket, checked against the installed sha256 and against the code
  SHA-256 moto's Lambda registry holds for the function, unpacked once under
  ``<data dir>/lambda/<sha256>/``, and imported under a private package name (the SDK it imports
  is this process's own `reactor_sdk`; an artifact
  built for another SDK contract is refused with `ArtifactError`, never half imported).

The metrics the functions record in this process (`ouroboros.observability.metrics`, EMF on
Lambda) are appended to ``<data dir>/metrics.jsonl`` while the runtime runs (``manage.py
metrics`` totals them).

Anything else goes on to moto unchanged. ``RequestResponse`` runs synchronously and returns the
handler's JSON (or ``FunctionError: Unhandled`` with ``errorType`` / ``errorMessage``); ``Event``
runs in a thread and returns 202; ``DryRun`` returns 204.

The hook is added to botocore's built-in handlers, so every session created while the runtime
runs has it; sessions cached before are dropped at start.

The handler runs as its function (`emulator.caller.running_as`: the key in `deploy.functions`,
or ``reactor:<id>``); what the hook does itself to find the code (the registry, GetFunction, the
artifact) runs as the emulator, so the strict IAM check judges only what the function does.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import logging
import shutil
import sys
import threading
import traceback
import types
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

from deploy.functions import FUNCTIONS
from emulator.caller import EMULATOR, reactor_key, running_as
from ouroboros.aws import client, reset_sessions
from ouroboros.config import get_config
from ouroboros.models import LocalReactorModel
from ouroboros.observability.metric_files import METRICS_FILE, MetricsFile
from ouroboros.observability.metrics import metrics_sink_add, metrics_sink_remove
from ouroboros.reactors.catalog import hub_artifact_fetch
from ouroboros.reactors.errors import ArtifactError
from ouroboros.reactors.manifest import MANIFEST_NAME, sdk_version_problems
from ouroboros.reactors.names import reactor_function_prefix
from ouroboros.reactors.packaging import sha256_hex

if TYPE_CHECKING:
    from emulator.runtime import LocalRuntime

logger = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Any]

#: Project functions the hook serves, by function name.
PROJECT_FUNCTIONS: dict[str, str] = {
    "ouroboros-hub-verify": "lambdas.hub_verify.handler",
    "ouroboros-reactor-installer": "lambdas.reactor_installer.handler",
}


def project_function_register(name: str, handler: str) -> None:
    """Serve the function ``name`` with ``handler`` (``package.module.attribute``)."""
    PROJECT_FUNCTIONS[name] = handler


class LocalContext:
    """The parts of Lambda's context object handlers use."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:{get_config().region}:123456789012:function:{function_name}"
        )
        self.memory_limit_in_mb = 256
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def _function_name(value: str) -> str:
    """``name`` from a name, a partial or a full ARN (qualifier dropped)."""
    if value.startswith("arn:"):
        parts = value.split(":")
        return parts[6] if len(parts) > 6 else value
    return value.split(":")[0]


def _payload_bytes(payload: Any) -> bytes:
    if payload is None:
        return b"{}"
    if hasattr(payload, "read"):
        payload = payload.read()
    return payload.encode() if isinstance(payload, str) else bytes(payload)


def _response(status: int, body: bytes, function_error: str | None = None) -> tuple[Any, Any]:
    parsed: dict[str, Any] = {
        "StatusCode": status,
        "ExecutedVersion": "$LATEST",
        "Payload": StreamingBody(io.BytesIO(body), len(body)),
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}},
    }
    if function_error:
        parsed["FunctionError"] = function_error
    return AWSResponse("http://local-lambda", status, {}, None), parsed


def function_key(name: str) -> str | None:
    """The attribution of function ``name``: its key in `deploy.functions`, ``reactor:<id>``."""
    handler = PROJECT_FUNCTIONS.get(name)
    if handler is not None:
        return next((spec.key for spec in FUNCTIONS if spec.handler == handler), name)
    prefix = reactor_function_prefix()
    return reactor_key(name[len(prefix) :]) if name.startswith(prefix) else None


def _run(handler: Handler, payload: bytes, name: str) -> tuple[bytes, str | None]:
    try:
        with running_as(function_key(name)):
            result = handler(json.loads(payload or b"{}"), LocalContext(name))
        return json.dumps(result, default=str).encode(), None
    except Exception as exc:
        logger.warning("local lambda %s raised %s: %s", name, type(exc).__name__, exc)
        error = {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "stackTrace": traceback.format_exception(exc)[-5:],
        }
        return json.dumps(error).encode(), "Unhandled"


def _import_handler(path: str) -> Handler:
    module_name, _, attribute = path.rpartition(".")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


class LocalLambda:
    """The runtime extension (see the module docstring)."""

    name = "lambda-invoke"

    def __init__(self) -> None:
        self._active = False
        self._lock = threading.Lock()
        self._reactor_handlers: dict[str, Handler] = {}
        self._folder = Path()
        self._metrics: MetricsFile | None = None
        self._specs = [
            ("before-parameter-build.lambda.Invoke", self._remember),
            ("before-call.lambda.Invoke", self._invoke),
        ]

    def start(self, runtime: LocalRuntime) -> None:
        self._folder = runtime.data_dir / "lambda"
        self._metrics = MetricsFile(runtime.data_dir / METRICS_FILE)
        metrics_sink_add(self._metrics)
        botocore.handlers.BUILTIN_HANDLERS.extend(self._specs)
        if boto3.DEFAULT_SESSION is not None:
            for event, hook in self._specs:
                boto3.DEFAULT_SESSION.events.register(event, hook)
        reset_sessions()
        self._active = True

    def stop(self) -> None:
        self._active = False
        if self._metrics is not None:
            metrics_sink_remove(self._metrics)
        for spec in self._specs:
            if spec in botocore.handlers.BUILTIN_HANDLERS:
                botocore.handlers.BUILTIN_HANDLERS.remove(spec)
        if boto3.DEFAULT_SESSION is not None:
            for event, hook in self._specs:
                boto3.DEFAULT_SESSION.events.unregister(event, hook)

    # -- botocore hooks -----------------------------------------------------------------------

    def _remember(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["ouroboros_invoke"] = dict(params)

    def _invoke(self, context: dict[str, Any], **_: Any) -> tuple[Any, Any] | None:
        params = context.get("ouroboros_invoke")
        if not self._active or not params:
            return None
        name = _function_name(str(params.get("FunctionName", "")))
        try:
            with running_as(EMULATOR):
                handler = self.handler_for(name)
        except ArtifactError as exc:  # as Lambda does when the code does not load: a function error
            logger.warning("local lambda %s cannot load its code: %s", name, exc)
            failure = {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []}
            return _response(200, json.dumps(failure).encode(), "Unhandled")
        if handler is None:
            return None
        invocation_type = params.get("InvocationType", "RequestResponse")
        if invocation_type == "DryRun":
            return _response(204, b"")
        payload = _payload_bytes(params.get("Payload"))
        if invocation_type == "Event":
            threading.Thread(
                target=_run, args=(handler, payload, name), name=f"lambda-{name}", daemon=True
            ).start()
            return _response(202, b"")
        body, error = _run(handler, payload, name)
        return _response(200, body, error)

    # -- resolution ---------------------------------------------------------------------------

    def handler_for(self, name: str) -> Handler | None:
        """The code that serves function ``name`` here, or None (moto answers)."""
        if name in PROJECT_FUNCTIONS:
            return _import_handler(PROJECT_FUNCTIONS[name])
        prefix = reactor_function_prefix()
        if name.startswith(prefix):
            return self._reactor_handler(name[len(prefix) :], name)
        return None

    def _reactor_handler(self, reactor_id: str, name: str) -> Handler | None:
        try:
            item = LocalReactorModel.get(reactor_id)
        except LocalReactorModel.DoesNotExist:
            return None
        if item.status != "installed" or item.function_name != name:
            return None
        with self._lock:
            cached = self._reactor_handlers.get(item.sha256)
            if cached is None:
                cached = self._load_reactor(item)
                self._reactor_handlers[item.sha256] = cached
        return cached

    def _load_reactor(self, item: LocalReactorModel) -> Handler:
        installed = client("lambda").get_function(FunctionName=item.function_name)
        code_sha = installed["Configuration"]["CodeSha256"]
        if code_sha != base64.b64encode(bytes.fromhex(item.sha256)).decode():
            raise ArtifactError(f"{item.function_name}: the installed code is not {item.sha256}")
        folder = self._folder / item.sha256
        if not folder.is_dir():
            data = hub_artifact_fetch(artifact_key=str(item.artifact_key))
            if sha256_hex(data) != item.sha256:
                raise ArtifactError(f"{item.reactor_id}: the Hub's artifact is not {item.sha256}")
            staging = folder.with_suffix(".tmp")
            shutil.rmtree(staging, ignore_errors=True)
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                archive.extractall(staging)
            staging.replace(folder)
        manifest = json.loads((folder / MANIFEST_NAME).read_text())
        for problem in sdk_version_problems(manifest.get("sdk_version")):
            raise ArtifactError(f"{item.reactor_id}: {problem}")
        alias = f"_ouroboros_artifact_{item.sha256[:16]}"
        loaded = sys.modules.get(alias)
        if loaded is None or list(getattr(loaded, "__path__", [])) != [str(folder)]:
            for name in [n for n in sys.modules if n == alias or n.startswith(f"{alias}.")]:
                del sys.modules[name]  # unpacked elsewhere before (another data folder)
            package = types.ModuleType(alias)
            package.__path__ = [str(folder)]
            sys.modules[alias] = package
        return _import_handler(f"{alias}.{manifest['entry_point']}")
