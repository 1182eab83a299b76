"""The root of Ouroboros's error hierarchy and the errors of the reactor SDK.

The class names are part of the contract: a reactor Lambda raises them, and the state machine's
Retry / Catch clauses match them by name. This module ships inside every reactor artifact, so it
imports nothing but the standard library. The core (`ouroboros.errors`) builds on these classes:
the root lives here because the SDK may import nothing of the core, and the core maps every
`OuroborosError`, a reactor's included, to one problem-details shape by its ``status_code``.
"""

from __future__ import annotations


class OuroborosError(Exception):
    """Base of every error raised on purpose by Ouroboros (and by reactors written with its SDK)."""

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


class SessionSettingsError(ValidationError):
    """A session setting in the environment is invalid (e.g. the session duration)."""


class ReactorError(OuroborosError):
    """A reactor could not do its work (AWS refused, or the resource is in an unexpected state)."""


class ReactorParamsError(ValidationError):
    """The parameters given to a reactor do not match its parameters schema."""


class ReactorInputError(ValidationError):
    """The finding given to a reactor lacks what it needs (account, resource of its type...)."""


class ReactorRollbackError(ReactorError):
    """Rollback data is missing, malformed, or the resource changed too much to restore it."""


class DuplicateReactorError(OuroborosError):
    """Two different reactor classes claim the same reactor id."""


class ReactorDefinitionError(ValidationError):
    """A reactor class is incomplete (id, version, permissions, docs, parameters schema...)."""
