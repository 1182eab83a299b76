"""Structured log lines of the deployed functions: one JSON object a line, with a correlation id.

Every handler in ``lambdas/`` is wrapped by `function_handler`. Once a handler module is
imported, every record of the ``ouroboros`` loggers (the core's modules log with
``logging.getLogger(__name__)``, so all of them) and of the ``reactor_sdk`` loggers is written as
one JSON line by a Powertools for AWS Lambda `Logger` (`function_logger`; to stdout, which Lambda
sends to CloudWatch Logs; level INFO unless ``POWERTOOLS_LOG_LEVEL`` or Lambda's log level say
otherwise; Powertools keeps these records off the root logger's handlers, so a line is written
once). While a handler runs, its lines carry:

- ``service``: the function (its key in ``deploy/functions.py``, e.g. ``dispatch_finding``;
  ``ouroboros`` outside a handler);
- ``function_request_id``: the Lambda request id, when there is a context;
- the correlation keys that are known (`CORRELATION_KEYS`): ``correlation_id``,
  ``execution_id``, ``finding_id``, ``control_id``, ``reactor_id``, ``account``.

The correlation id follows one finding from its event to its execution to its notification: it
is `correlation_id_of` the finding id and the finding's version as the workflow keys it (its
``UpdatedAt`` for an event, ``<trigger>#<request id>`` for a manual start or custom action,
the idempotency key of `ouroboros.workflow.contracts.DispatchItem`). Parse computes it per
finding and puts it in each dispatch item; Dispatch logs with it, hands it to the reactor in the
invocation event (``correlation``, logged by `reactor_sdk.handler`) and puts it in the
notification message; Send Notification and the topic's subscriber log it. A replayed event
(same finding version) has the same correlation id as the run it replays; ``execution_id``
tells the attempts apart. In CloudWatch Logs Insights: ``filter correlation_id = "<id>"``.

Keys are bound with `correlation_bound` (a context variable: a thread's binding never leaks into
another's, which matters locally where every function runs in one process); a record's own
``extra`` keys win over bound ones.

Never a secret: before a line is written, the value of every key named like a secret
(`SECRET_KEY`) is replaced by ``<redacted>``, and in every string the path, query and user
info of a URL (webhook URLs carry their token there), API tokens (``ouro_...``) and Slack
tokens are replaced too, the message and the exception's text included.

The console (Django on Lambda) writes the same JSON lines through its ``LOGGING`` setting
(`json_formatter`), without correlation keys: a request handles no one finding.

Where the lines go: ``sys.stdout`` as it is when a line is written (Lambda's log stream; pytest's
capture), or the stream `log_lines_to` sets (``manage.py runlocal`` sends them to its log file).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

#: The loggers whose records are written as JSON lines (the core's and the reactor SDK's).
CORE_LOGGER = "ouroboros"
SDK_LOGGER = "reactor_sdk"
#: The keys that tie a line to one finding's way through the workflow.
CORRELATION_KEYS = (
    "correlation_id",
    "execution_id",
    "finding_id",
    "control_id",
    "reactor_id",
    "account",
)
#: Keys whose value is never written, whatever it is.
SECRET_KEY = re.compile(
    r"(secret|token|password|passwd|credential|authorization|webhook|api_key|private_key)",
    re.IGNORECASE,
)
REDACTED = "<redacted>"
#: scheme://[userinfo@]host[/path?query#fragment]: the host is kept, the rest is redacted.
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^\s/@\"']*@)?([^\s/?#\"'<>]+)([^\s\"'<>]*)")
_TOKENS = re.compile(r"\b(ouro_|xox[abprs]-)[A-Za-z0-9_\-]+")

_bound: ContextVar[Mapping[str, str]] = ContextVar("ouroboros_log_keys", default={})  # noqa: B039
_stream: IO[str] | None = None

Handler = TypeVar("Handler", bound=Callable[..., Any])


def correlation_id_of(*, finding_id: str, version: str) -> str:
    """The correlation id of one finding version (see the module docstring): 20 hex digits."""
    return hashlib.sha256(f"{finding_id}\n{version}".encode()).hexdigest()[:20]


def correlation_keys(**values: object) -> dict[str, str]:
    """The `CORRELATION_KEYS` among ``values`` that are set, as strings."""
    return {key: str(values[key]) for key in CORRELATION_KEYS if values.get(key) not in (None, "")}


def log_keys() -> dict[str, str]:
    """The keys bound in this context (the running function's service and correlation)."""
    return dict(_bound.get())


def function_running() -> str | None:
    """The service of the function running in this context, or None outside `function_handler`."""
    return _bound.get().get("service")


@contextmanager
def correlation_bound(**values: object) -> Iterator[None]:
    """Bind the correlation keys among ``values`` to every line logged in this context."""
    token = _bound.set({**_bound.get(), **correlation_keys(**values)})
    try:
        yield
    finally:
        _bound.reset(token)


def log_lines_to(stream: IO[str] | None) -> None:
    """Write the JSON lines (log and metric) to ``stream``; None: ``sys.stdout`` again."""
    global _stream
    _stream = stream


def log_stream() -> IO[str]:
    """Where JSON lines go now (see the module docstring)."""
    return _stream or sys.stdout


def redacted(value: Any) -> Any:
    """``value`` with every secret replaced (see the module docstring), walking dicts and lists."""
    if isinstance(value, str):
        text = _TOKENS.sub(lambda m: f"{m.group(1)}{REDACTED}", value)
        return _URL.sub(
            lambda m: m.group(1) + m.group(2) + ("/" + REDACTED if m.group(3) else ""), text
        )
    if isinstance(value, Mapping):
        return {
            key: REDACTED if SECRET_KEY.search(str(key)) and item else redacted(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redacted(item) for item in value]
    if value is None or isinstance(value, int | float):
        return value
    return redacted(str(value))  # an exception, a datetime: written as its text anyway


class _JsonLines(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, every line redacted before it is written."""

    def serialize(self, log: Any) -> str:
        return super().serialize(redacted(log))


class _BoundKeys(logging.Filter):
    """Adds the keys bound in the record's context (a record's own ``extra`` keys win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _bound.get().items():
            if key not in record.__dict__:
                setattr(record, key, value)
        return True


class _CurrentStream(logging.StreamHandler):
    """Writes to `log_stream` as it is for each record (not as it was at start)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = log_stream()
        super().emit(record)


@functools.cache
def function_logger() -> Logger:
    """The Powertools Logger every function logs through (created once per process).

    It owns the ``ouroboros`` logger, so the core's records are its own; the ``reactor_sdk``
    logger gets a twin (for an in-process reactor, as the local runtime runs them).
    """
    loggers = []
    for name in (CORE_LOGGER, SDK_LOGGER):
        handler = _CurrentStream(sys.stdout)
        handler.addFilter(_BoundKeys())
        loggers.append(
            Logger(
                service=name, logger_handler=handler, logger_formatter=_JsonLines(use_rfc3339=True)
            )
        )
    return loggers[0]


def json_formatter(service: str = CORE_LOGGER) -> logging.Formatter:
    """The functions' JSON line formatter (same fields, same redaction) for a process that logs
    through a logging configuration: the console's production settings use it (``service``
    ``console``) in Django's ``LOGGING``."""
    return _JsonLines(use_rfc3339=True, service=service)


def _context_keys(context: Any) -> dict[str, str]:
    request_id = getattr(context, "aws_request_id", None)
    return {"function_request_id": str(request_id)} if request_id else {}


def function_handler(
    service: str, *, correlation: Callable[[Any], Mapping[str, Any]] | None = None
) -> Callable[[Handler], Handler]:
    """Wrap the Lambda handler of function ``service`` (see the module docstring).

    ``correlation`` gives the correlation keys of an event (a function that handles one finding,
    e.g. Dispatch); it must not raise on a malformed event (the handler reports that). A handler
    that raises logs the error (with its traceback) as one line and raises it unchanged.
    """
    logger = function_logger()

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def invoked(event: Any, context: Any = None) -> Any:
            keys = {"service": service, **_context_keys(context)}
            if correlation is not None:
                keys.update(correlation_keys(**correlation(event)))
            token = _bound.set(keys)
            try:
                return handler(event, context)
            except Exception as exc:
                logger.exception("%s failed: %s", service, type(exc).__name__)
                raise
            finally:
                _bound.reset(token)

        return invoked  # type: ignore[return-value]

    return decorate
