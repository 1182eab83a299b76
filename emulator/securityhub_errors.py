"""Errors of the local Security Hub, each carrying the AWS error code its HTTP server returns."""

from __future__ import annotations

from ouroboros.errors import OuroborosError


class LocalSecurityHubError(OuroborosError):
    """Base of the local Security Hub's errors; ``code`` is the AWS error code on the wire."""

    code = "InternalException"
    status_code = 500


class InvalidInputError(LocalSecurityHubError):
    """The request is malformed or asks for something the local Security Hub does not serve."""

    code = "InvalidInputException"
    status_code = 400


class FindingsV2ValidationError(LocalSecurityHubError):
    """A V2 (OCSF) request is malformed: the V2 operations answer ValidationException."""

    code = "ValidationException"
    status_code = 400


class ResourceNotFoundError(LocalSecurityHubError):
    """The standard, subscription or control does not exist."""

    code = "ResourceNotFoundException"
    status_code = 404


class OperationNotServedError(LocalSecurityHubError):
    """A real Security Hub operation that the local one does not implement."""

    code = "NotImplementedException"
    status_code = 501


class ConflictError(LocalSecurityHubError):
    """A ClientToken already used with other parameters (the V2 connector and ticket operations)."""

    code = "ConflictException"
    status_code = 409
