"""Fault injection at the HTTP layer of botocore, so the real client code paths run.

`FaultInjector` answers chosen AWS operations with an error response (throttling, access denied,
conditional-check failure, a server error) or raises a transport exception (a read timeout)
*before* moto sees the request, at botocore's ``before-send`` step. Everything above that step
runs unchanged: the operation's serializer, botocore's retry handler (so "retried where it
should be" is observable: the operation is sent again), the response parser that turns the
error into a ``ClientError``, PynamoDB's exception wrapping, and the project's own handling.

It wraps moto's ``BotocoreStubber`` (the ``before-send`` handler moto adds to every botocore
session), so it sees the requests of every session, including the per-thread sessions PynamoDB
creates. Retry back-off sleeps are recorded instead of slept, and the waits of botocore's
adaptive client-side rate limiter (which throttling switches on) pass on a clock of its own
instead of the wall clock (`RateLimiterClock`): the limiter computes the same rates and waits,
the test does not sit through them.
"""

from __future__ import annotations

import json
import threading
import types
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import botocore.endpoint
import botocore.retries.bucket
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto.core.botocore_stubber import BotocoreStubber

#: The wire protocol of each service the project calls (how its errors are shaped).
PROTOCOLS = {
    "dynamodb": "json",
    "sfn": "json",
    "securityhub": "rest-json",
    "lambda": "rest-json",
    "sts": "query",
    "sns": "query",
    "iam": "query",
    "ssm": "json",
    "s3": "rest-xml",
}


class _Raw:
    """The raw body moto and botocore read a response from."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._done = False

    def stream(self, **_: Any) -> Iterator[bytes]:
        if not self._done:
            self._done = True
            yield self._body

    def read(self, *_: Any, **__: Any) -> bytes:
        if self._done:
            return b""
        self._done = True
        return self._body


def error_response(
    request: AWSPreparedRequest, service: str, code: str, status: int, message: str
) -> AWSResponse:
    """An AWS error response of ``service``'s protocol with ``code``."""
    protocol = PROTOCOLS.get(service, "json")
    headers = {"x-amzn-RequestId": "fault-injected", "x-amzn-ErrorType": code}
    if protocol in ("json", "rest-json"):
        headers["Content-Type"] = "application/x-amz-json-1.0"
        body = json.dumps({"__type": code, "message": message}).encode()
    elif protocol == "query":
        headers["Content-Type"] = "text/xml"
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        ).encode()
    else:
        headers["Content-Type"] = "application/xml"
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    return AWSResponse(request.url, status, headers, _Raw(body))  # type: ignore[arg-type]


def json_response(request: AWSPreparedRequest, payload: bytes, **headers: str) -> AWSResponse:
    """A 200 response with ``payload`` (e.g. a Lambda Invoke answer)."""
    return AWSResponse(request.url, 200, dict(headers), _Raw(payload))  # type: ignore[arg-type]


Responder = Callable[[AWSPreparedRequest], AWSResponse | None]


@dataclass
class Fault:
    """Answer ``service.operation`` with ``code`` (or raise ``exception``) ``times`` times."""

    service: str
    operation: str
    code: str = "ThrottlingException"
    status: int = 400
    times: int | None = 1  # None: every time
    message: str = "injected fault"
    exception: Callable[[AWSPreparedRequest], Exception] | None = None
    when: Callable[[AWSPreparedRequest], bool] | None = None
    injected: int = 0

    def applies(self, service: str, operation: str, request: AWSPreparedRequest) -> bool:
        if (service, operation) != (self.service, self.operation):
            return False
        if self.times is not None and self.injected >= self.times:
            return False
        return self.when is None or self.when(request)


class FaultInjector:
    """The faults of one test, and what was sent (see the module docstring)."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.responders: dict[tuple[str, str], Responder] = {}
        self.sent: Counter[tuple[str, str]] = Counter()
        self.backoffs: list[float] = []
        self._lock = threading.Lock()

    def add(self, service: str, operation: str, **kwargs: Any) -> Fault:
        fault = Fault(service, operation, **kwargs)
        self.faults.append(fault)
        return fault

    def throttle(self, service: str, operation: str, *, times: int | None = 2, **kw: Any) -> Fault:
        """Throttle ``operation`` with the code its service really uses."""
        codes = {
            "dynamodb": ("ProvisionedThroughputExceededException", 400),
            "s3": ("SlowDown", 503),
            "lambda": ("TooManyRequestsException", 429),
            "securityhub": ("TooManyRequestsException", 429),
            "sts": ("Throttling", 400),
            "sns": ("Throttling", 400),
            "iam": ("Throttling", 400),
        }
        code, status = codes.get(service, ("ThrottlingException", 400))
        return self.add(service, operation, code=code, status=status, times=times, **kw)

    def respond(self, service: str, operation: str, responder: Responder) -> None:
        """Answer ``operation`` with ``responder`` (None falls through to moto)."""
        self.responders[(service, operation)] = responder

    def handle(self, event_name: str, request: AWSPreparedRequest) -> AWSResponse | None:
        _, service, operation = event_name.split(".", 2)
        with self._lock:
            self.sent[(service, operation)] += 1
            fault = next((f for f in self.faults if f.applies(service, operation, request)), None)
            if fault is not None:
                fault.injected += 1
        if fault is not None:
            if fault.exception is not None:
                raise fault.exception(request)
            return error_response(request, service, fault.code, fault.status, fault.message)
        responder = self.responders.get((service, operation))
        return responder(request) if responder else None


class RateLimiterClock(botocore.retries.bucket.Clock):
    """The clock of one client's adaptive rate limiter: the wall clock plus the waits it was
    asked for, which return at once."""

    def __init__(self) -> None:
        super().__init__()
        self.waited = 0.0

    def sleep(self, amount: float) -> None:
        self.waited += max(amount or 0.0, 0.0)

    def current_time(self) -> float:
        return float(super().current_time()) + self.waited


class _ClockCondition(threading.Condition):
    """The token bucket's condition, whose timed wait passes on the bucket's clock."""

    def __init__(self, lock: Any, clock: RateLimiterClock) -> None:
        super().__init__(lock)
        self._clock = clock

    def wait(self, timeout: float | None = None) -> bool:
        self._clock.sleep(timeout or 0.0)
        return True


def _bucket_init(original: Callable[..., None]) -> Callable[..., None]:
    def init(bucket: Any, max_rate: float, clock: Any, *args: Any, **kwargs: Any) -> None:
        original(bucket, max_rate, clock, *args, **kwargs)
        if isinstance(clock, RateLimiterClock):
            bucket._new_fill_rate_condition = _ClockCondition(bucket._lock, clock)

    return init


@contextmanager
def fault_injection(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultInjector]:
    """Install a `FaultInjector` in front of moto for the block."""
    injector = FaultInjector()
    original = BotocoreStubber.__call__

    def stubber(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        answer = injector.handle(event_name, request)
        if answer is not None:
            return answer
        return original(self, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", stubber)
    retry_waits_recorded(monkeypatch, into=injector.backoffs)
    yield injector


def retry_waits_recorded(
    monkeypatch: pytest.MonkeyPatch, *, into: list[float] | None = None
) -> list[float]:
    """From now on (until ``monkeypatch`` undoes it), botocore's retry back-off sleeps are
    recorded in the returned list (``into``, when given) instead of slept, and clients made from
    now on get an adaptive rate limiter on a clock of its own (`RateLimiterClock`)."""
    backoffs = [] if into is None else into
    real_time = botocore.endpoint.time
    fake_time = types.SimpleNamespace(
        **{name: getattr(real_time, name) for name in dir(real_time) if not name.startswith("__")}
    )
    fake_time.sleep = backoffs.append
    monkeypatch.setattr(botocore.endpoint, "time", fake_time)
    # Clients made from here (the code under test makes its own) get the limiter's clock.
    bucket = botocore.retries.bucket
    monkeypatch.setattr(bucket, "Clock", RateLimiterClock)
    monkeypatch.setattr(bucket.TokenBucket, "__init__", _bucket_init(bucket.TokenBucket.__init__))
    return backoffs
