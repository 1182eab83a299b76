"""Which deployed function is running: the attribution the strict IAM check records calls under.

The local runtime runs deployed code in this process (the Lambda hook, the stream pollers, the
scheduler, Step Functions' tasks, the event bus). Each place that runs a deployed function wraps
the run in `running_as` with the function's key (``deploy.functions``: ``parse_finding``,
``console``...), a reactor's ``reactor:<id>``, or a service role (`STATES`, `EVENTS`); the
emulator's own calls (fetching a reactor's artifact, polling a stream) run as `EMULATOR`.
`function_current` is what the test suite's recorder (``tests/strict``) reads for every AWS
call, so each call is judged against the IAM role that would make it on AWS.

A context variable follows the code into ``asyncio`` tasks; threads start with no attribution
(the recorder carries it into threads and thread pools started while a function runs).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: The emulator's own calls: never judged (on AWS the service itself makes them).
EMULATOR = "emulator"
#: The state machine's role (moto's interpreter invoking the task functions).
STATES = "service:states"
#: EventBridge's role (the local bus delivering to a rule's targets).
EVENTS = "service:events"
REACTOR_PREFIX = "reactor:"

_current: ContextVar[str | None] = ContextVar("ouroboros_function", default=None)


def function_current() -> str | None:
    """The key of the function whose code is running here, or None (test or tool code)."""
    return _current.get()


@contextmanager
def running_as(function_key: str | None) -> Iterator[None]:
    """Attribute the AWS calls made in this block (and this context) to ``function_key``."""
    token = _current.set(function_key)
    try:
        yield
    finally:
        _current.reset(token)


def reactor_key(reactor_id: str) -> str:
    """The attribution of a reactor's code (judged by the reactor permissions, not here)."""
    return f"{REACTOR_PREFIX}{reactor_id}"
