"""Retries for calls AWS refuses for a few seconds after a related resource was created.

IAM and DynamoDB are eventually consistent at creation: a role just created is not yet
assumable by Step Functions (``CreateStateMachine`` answers ``AccessDeniedException``), and
point-in-time recovery cannot be switched on right after ``CreateTable``
(``ContinuousBackupsUnavailableException``). `propagation_retry` repeats such a call with
exponential backoff (capped) while AWS gives the named answer, and fails with
`PropagationError`, naming the call, the answer and how long it waited, when it lasts longer.
Any other error is raised at once, unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from botocore.exceptions import ClientError

from ouroboros.errors import OuroborosError

type Sleep = Callable[[float], None]
#: Which refusals to wait out: error codes, or a predicate on the error.
type RetryOn = Collection[str] | Callable[[ClientError], bool]

ATTEMPTS = 8
DELAY_SECONDS = 1.0
CAP_SECONDS = 8.0


class PropagationError(OuroborosError):
    """AWS kept refusing a call for longer than the retries wait (names the call and answer)."""


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def _retryable(exc: ClientError, retry_on: RetryOn) -> bool:
    if callable(retry_on):
        return bool(retry_on(exc))
    return error_code(exc) in retry_on


def backoff_delays(attempts: int, delay: float, cap: float) -> list[float]:
    """The pauses between ``attempts`` tries: ``delay`` doubling each time, at most ``cap``."""
    return [min(cap, delay * 2**i) for i in range(max(attempts - 1, 0))]


def propagation_retry[T](
    call: Callable[[], T],
    *,
    retry_on: RetryOn,
    attempts: int = ATTEMPTS,
    delay: float = DELAY_SECONDS,
    cap: float = CAP_SECONDS,
    sleep: Sleep = time.sleep,
    what: str = "",
) -> T:
    """``call()``, repeated while it fails with an error ``retry_on`` accepts.

    Raises `PropagationError` (from the last error) after ``attempts`` refusals; any other
    error at once.
    """
    delays = backoff_delays(attempts, delay, cap)
    waited = 0.0
    for attempt in range(len(delays) + 1):
        try:
            return call()
        except ClientError as exc:
            if not _retryable(exc, retry_on):
                raise
            if attempt == len(delays):
                raise PropagationError(
                    f"{what or 'AWS call'}: still {error_code(exc)} after {attempt + 1} attempts "
                    f"over {waited:.0f} s ({error_message(exc)}); AWS has not finished creating "
                    "what this call depends on: run bootstrap again in a minute"
                ) from exc
        sleep(delays[attempt])
        waited += delays[attempt]
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
