"""Records every AWS call the test session makes, with the deployed function that made it.

`Recorder.install` wraps ``botocore.client.BaseClient._make_api_call`` (every boto3 client and
PynamoDB's connection go through it) and notes, for each call made while a function runs
(`emulator.caller.function_current`): the function, service, operation, the parameters the IAM
mapping needs (`KEPT_PARAMS`: names, keys and ARNs, never values, items or secrets), region,
account, the identity the credentials belong to, the deployment settings in force and the test.
Calls with no function are test set-up and are not kept; the emulator's own calls are not kept
either. The recorder also follows state the judge needs from every call: which temporary access
keys belong to which assumed role (those calls are made as that role, not as the function), with
which session policy each was assumed (``AssumeRole``'s ``Policy``), which inline policies each
IAM role holds (``PutRolePolicy`` / ``DeleteRolePolicy``, by anyone: set-up, the emulator's
member-role sync) and which permissions boundary each IAM role was created with. A call made with
credentials of a session that has a session policy carries that policy and its role's inline
policies, so the judge can apply both (role policy AND session policy), as AWS does.

It also carries the attribution into threads: a ``threading.Thread`` started while a function
runs runs as that function, and each ``ThreadPoolExecutor.submit`` runs its work item as its
submitter (a pool's threads outlive one submitter). Django requests run as the ``console``
function (``BaseHandler.get_response`` is wrapped, no middleware needed), and each worker
function's handler (``lambdas.<key>.handler``) runs as its function when a test calls it directly.

Calls made in other processes are not recorded. The tests that start ``manage.py runlocal`` or
run a management command in a subprocess check process matters (start, signals, ports, command
output); the functions they run are the ones the ``local_runtime`` fixture runs in-process, where
they are recorded. The one process a deployed function starts (``hub_verify`` importing an
artifact alone, `ouroboros.reactors.isolation`) makes no AWS call.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient

from deploy.functions import FUNCTIONS
from emulator.caller import EMULATOR, function_current, running_as
from ouroboros.config import Config, get_config

DEFAULT_ACCOUNT = "123456789012"
CONSOLE = "console"

#: Parameters kept as they are (names, ARNs, flags): what `tests.strict.actions` reads.
KEPT_PARAMS = frozenset(
    {
        "TableName",
        "IndexName",
        "StreamArn",
        "FunctionName",
        "Qualifier",
        "InvocationType",
        "RoleName",
        "PolicyArn",
        "PolicyName",
        "PermissionsBoundary",
        "Role",
        "Bucket",
        "Key",
        "TopicArn",
        "TargetArn",
        "QueueUrl",
        "QueueName",
        "QueueOwnerAWSAccountId",
        "stateMachineArn",
        "executionArn",
        "Name",
        "Names",
        "Path",
        "RoleArn",
        "RoleSessionName",
        "ResourceArn",
        "LoadBalancerArn",
        "LoadBalancerName",
        "DBInstanceIdentifier",
        "AccountId",
        "ConnectorId",
    }
)


@dataclass(frozen=True)
class DeploymentSettings:
    """The configuration a call was made under: what names the deployment's resources."""

    stage: str
    region: str
    table_prefix: str
    hub_table_prefix: str
    hub_role_arn: str
    member_role_name: str
    hub_bucket: str

    @classmethod
    def of(cls, config: Config) -> DeploymentSettings:
        return cls(
            stage=config.stage,
            region=config.region,
            table_prefix=config.table_prefix,
            hub_table_prefix=config.hub_table_prefix,
            hub_role_arn=config.hub_role_arn,
            member_role_name=config.member_role_name,
            hub_bucket=config.hub_bucket,
        )


@dataclass(frozen=True)
class RecordedCall:
    """One AWS call made by a function (see the module docstring)."""

    function: str
    service: str
    operation: str
    params: dict[str, Any]
    region: str
    account: str
    #: The assumed role whose credentials signed the call; None: the function's own role.
    principal: str | None
    settings: DeploymentSettings | None
    test: str
    #: The permissions boundary of the IAM role the call acts on (IAM role operations).
    role_boundary: str | None = None
    #: The session policy of the assumed-role session that signed the call (JSON), if any.
    session_policy: str | None = None
    #: The inline policies (JSON) the assumed role held at the call; None: not known here.
    principal_policies: tuple[str, ...] | None = None

    def describe(self) -> str:
        return f"{self.service}.{self.operation} by {self.function} in {self.test or '?'}"


def _table_names(value: Any) -> list[str]:
    return sorted(value) if isinstance(value, dict) else []


def _transact_items(value: Any) -> list[dict[str, str]]:
    items = []
    for item in value if isinstance(value, list) else []:
        for kind, body in item.items():
            items.append({"kind": kind, "TableName": str(body.get("TableName", ""))})
    return items


def params_kept(params: dict[str, Any]) -> dict[str, Any]:
    """What the IAM mapping needs of ``params``: no item, body, policy or secret is kept."""
    kept: dict[str, Any] = {}
    for key, value in params.items():
        if key in KEPT_PARAMS:
            kept[key] = value if isinstance(value, str | bool | int | list) else str(value)
        elif key == "RequestItems":
            kept["Tables"] = _table_names(value)
        elif key == "TransactItems":
            kept["TransactItems"] = _transact_items(value)
        elif key == "ExternalId":
            kept["ExternalId"] = "<set>"  # the condition only asks whether one was sent
    return kept


@dataclass
class Recorder:
    """The session's recorder (see the module docstring)."""

    calls: list[RecordedCall] = field(default_factory=list)
    #: Calls made with no function (test set-up) and by the emulator: counted, not kept.
    unattributed: int = 0
    emulator: int = 0
    test: str = ""
    _assumed: dict[str, str] = field(default_factory=dict)
    _session_policies: dict[str, str] = field(default_factory=dict)
    _role_policies: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    _boundaries: dict[tuple[str, str], str] = field(default_factory=dict)
    _settings: tuple[Config | None, DeploymentSettings | None] = (None, None)
    _undo: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- installation -------------------------------------------------------------------------

    def install(self) -> None:
        """Wrap botocore, threads, thread pools and Django's handler (idempotent per recorder)."""
        if self._undo:
            return
        self._patch(BaseClient, "_make_api_call", self._wrap_api_call)
        self._patch(threading.Thread, "start", _wrap_thread_start)
        self._patch(ThreadPoolExecutor, "submit", _wrap_submit)
        for spec in FUNCTIONS:
            if spec.package == "workers" and not spec.planned:  # a planned module may not exist
                module = importlib.import_module(spec.module)
                attribute = spec.handler.rsplit(".", 1)[1]
                self._patch(module, attribute, _wrap_handler(spec.key))
        try:
            from django.core.handlers.base import BaseHandler
        except ImportError:  # pragma: no cover - Django is a project dependency
            return
        self._patch(BaseHandler, "get_response", _wrap_get_response)

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _patch(self, owner: Any, name: str, wrapper: Callable[[Any], Any]) -> None:
        original = owner.__dict__[name]
        setattr(owner, name, wrapper(original))
        self._undo.append(lambda: setattr(owner, name, original))

    @contextmanager
    def recording_test(self, nodeid: str) -> Iterator[None]:
        """Calls made in the block belong to test ``nodeid``."""
        self.test = nodeid
        try:
            yield
        finally:
            self.test = ""

    # -- recording ----------------------------------------------------------------------------

    def _wrap_api_call(self, original: Callable[..., Any]) -> Callable[..., Any]:
        recorder = self

        def _make_api_call(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            access_key = recorder.observe(client, operation_name, api_params)
            response = original(client, operation_name, api_params)
            if operation_name == "AssumeRole" and access_key is not None:
                recorder._assumed_note(api_params, response)
            return response

        return _make_api_call

    def observe(self, client: Any, operation: str, params: dict[str, Any]) -> str | None:
        """Note one call (before it is made: a refused call was still attempted)."""
        function = function_current()
        service = client.meta.service_model.service_name
        access_key = _access_key(client)
        principal = self._assumed.get(access_key or "")
        account = principal.split(":")[4] if principal else _default_account()
        role_name = str(params.get("RoleName") or "")
        boundary = self._boundaries.get((account, role_name)) if role_name else None
        if service == "iam":  # after reading it: DeleteRole acts on a role with its boundary
            self._boundary_note(account, operation, params)
            self._role_policy_note(account, operation, params)
        session_policy = self._session_policies.get(access_key or "")
        principal_policies = None
        if principal and session_policy:
            known = self._role_policies.get((account, principal.rsplit("/", 1)[-1]))
            principal_policies = tuple(known.values()) if known is not None else None
        if function is None:
            self.unattributed += 1
            return access_key
        if function == EMULATOR:
            self.emulator += 1
            return access_key
        call = RecordedCall(
            function=function,
            service=service,
            operation=operation,
            params=params_kept(params),
            region=client.meta.region_name or "",
            account=account,
            principal=principal,
            settings=self._settings_now(),
            test=self.test,
            role_boundary=boundary,
            session_policy=session_policy,
            principal_policies=principal_policies,
        )
        with self._lock:
            self.calls.append(call)
        return access_key

    def _settings_now(self) -> DeploymentSettings | None:
        try:
            config = get_config()
        except ValueError:  # a test of invalid configuration: nothing to name resources with
            return None
        cached, settings = self._settings
        if cached is not config:
            settings = DeploymentSettings.of(config)
            self._settings = (config, settings)
        return settings

    def _assumed_note(self, params: dict[str, Any], response: dict[str, Any]) -> None:
        key = (response.get("Credentials") or {}).get("AccessKeyId")
        if key and params.get("RoleArn"):
            self._assumed[key] = str(params["RoleArn"])
            if params.get("Policy"):
                self._session_policies[key] = str(params["Policy"])

    def _role_policy_note(self, account: str, operation: str, params: dict[str, Any]) -> None:
        role = params.get("RoleName")
        if not role:
            return
        key = (account, str(role))
        if operation in ("CreateRole", "DeleteRole"):
            self._role_policies.pop(key, None)
        elif operation == "PutRolePolicy":
            document = params.get("PolicyDocument")
            text = document if isinstance(document, str) else json.dumps(document)
            self._role_policies.setdefault(key, {})[str(params.get("PolicyName"))] = text
        elif operation == "DeleteRolePolicy":
            self._role_policies.get(key, {}).pop(str(params.get("PolicyName")), None)

    def _boundary_note(self, account: str, operation: str, params: dict[str, Any]) -> None:
        role = params.get("RoleName")
        if not role:
            return
        if operation in ("CreateRole", "PutRolePermissionsBoundary"):
            boundary = params.get("PermissionsBoundary")
            if boundary:
                self._boundaries[(account, role)] = str(boundary)
            else:
                self._boundaries.pop((account, role), None)
        elif operation in ("DeleteRole", "DeleteRolePermissionsBoundary"):
            self._boundaries.pop((account, role), None)


def _access_key(client: Any) -> str | None:
    credentials = getattr(client._request_signer, "_credentials", None)
    return getattr(credentials, "access_key", None) if credentials is not None else None


def _default_account() -> str:
    return os.environ.get("MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT


def _wrap_thread_start(original: Callable[..., Any]) -> Callable[..., Any]:
    def start(thread: threading.Thread) -> Any:
        function = function_current()
        if function is not None:
            run = thread.run

            def run_as() -> None:
                with running_as(function):
                    run()

            thread.run = run_as  # type: ignore[method-assign]
        return original(thread)

    return start


def _wrap_submit(original: Callable[..., Future[Any]]) -> Callable[..., Future[Any]]:
    def submit(
        pool: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Any:
        function = function_current()

        def run_as(*a: Any, **kw: Any) -> Any:
            with running_as(function):
                return fn(*a, **kw)

        return original(pool, run_as, *args, **kwargs)

    return submit


def _wrap_handler(key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def handler_as(event: Any, context: Any = None) -> Any:
            with running_as(key):
                return handler(event, context)

        return handler_as

    return wrap


def _wrap_get_response(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_response(handler: Any, request: Any) -> Any:
        with running_as(CONSOLE):
            return original(handler, request)

    return get_response
