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


class ReactorApprovalError(ValidationError):
    """An install or upgrade lacks the admin's approval of exactly the dangerous actions the
    reactor declares (`ouroboros.reactors.official.approval_problems`)."""


class ReactorNameError(ValidationError):
    """A reactor id is reserved, or its function or role name is taken by something the
    installer did not create for that reactor."""
