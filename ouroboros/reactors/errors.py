"""Errors of the reactor SDK, the Hub and the installer.

The class names are part of the contract: a reactor Lambda raises them, and the state machine's
Retry / Catch clauses match them by name. This module ships inside every reactor artifact, so it
imports nothing but `ouroboros.errors`.
"""

from __future__ import annotations

from ouroboros.errors import ConflictError, NotFoundError, OuroborosError, ValidationError


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


class ManifestError(ValidationError):
    """A reactor manifest is missing, malformed or disagrees with its package."""


class ArtifactError(ValidationError):
    """A reactor artifact is missing, corrupt, or does not match its recorded sha256."""


class ReactorNotFoundError(NotFoundError):
    """No such reactor (or version) in the Hub catalog or among the installed reactors."""


class ReactorStateError(ConflictError):
    """The reactor is in a state that forbids the request (installing, assigned, not verified)."""
