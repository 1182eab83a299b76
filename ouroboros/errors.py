"""The one error hierarchy of Ouroboros.

Every error the core raises on purpose derives from `OuroborosError` and ends in ``Error``. The
API maps them to one problem-details shape; in Lambda functions the class name is what the state
machine's Retry / Catch clauses match, so the names are part of the contract.
"""

from __future__ import annotations


class OuroborosError(Exception):
    """Base of every error raised on purpose by Ouroboros."""

    #: HTTP status the API uses for this error.
    status_code: int = 500


class NotFoundError(OuroborosError):
    """The requested item does not exist."""

    status_code = 404


class ValidationError(OuroborosError):
    """Input is malformed or violates a rule; nothing was written."""

    status_code = 400


class ConflictError(OuroborosError):
    """The item changed since it was read (optimistic lock) or is in a conflicting state."""

    status_code = 409


class MemberAccessError(OuroborosError):
    """The member-account role could not be assumed (missing, untrusted, wrong ExternalId)."""

    status_code = 502


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
