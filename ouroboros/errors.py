"""The one error hierarchy of Ouroboros.

Every error the core raises on purpose derives from `OuroborosError` and ends in ``Error``. The
API maps them to one problem-details shape; in Lambda functions the class name is what the state
machine's Retry / Catch clauses match, so the names are part of the contract.

The root and the errors a reactor can raise live in the reactor SDK (`reactor_sdk.errors`), which
ships inside every reactor artifact and imports nothing of the core; they are re-exported here so
that the core names one module for its errors.
"""

from __future__ import annotations

from reactor_sdk.errors import (
    ConflictError,
    MemberAccessError,
    NotFoundError,
    OuroborosError,
    ValidationError,
)

__all__ = [
    "ConflictError",
    "MemberAccessError",
    "NotFoundError",
    "OuroborosError",
    "ParseFailedError",
    "ReactorExecutionError",
    "ThrottledError",
    "ValidationError",
]


class ThrottledError(OuroborosError):
    """An AWS API kept throttling after the retries; the caller may try again later."""

    status_code = 503


class ReactorExecutionError(OuroborosError):
    """A reactor raised while remediating a finding; the execution is recorded as failed.

    The dispatch task re-raises the reactor's error under this name, which the state machine's
    Catch hands to ``Record Dispatch Failure``.
    """

    status_code = 502


class ParseFailedError(OuroborosError):
    """The event given to the workflow could not be parsed (the state machine's Fail state)."""

    status_code = 400
