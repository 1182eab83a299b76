"""Errors of the Hub and the installer (the reactor SDK's own are in `reactor_sdk.errors`)."""

from __future__ import annotations

from ouroboros.errors import ConflictError, NotFoundError, ValidationError


class ManifestError(ValidationError):
    """A reactor manifest is missing, malformed or disagrees with its package."""


class ArtifactError(ValidationError):
    """A reactor artifact is missing, corrupt, or does not match its recorded sha256."""


class ReactorNotFoundError(NotFoundError):
    """No such reactor (or version) in the Hub catalog or among the installed reactors."""


class ReactorStateError(ConflictError):
    """The reactor is in a state that forbids the request (installing, assigned, not verified)."""
