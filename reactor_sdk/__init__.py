"""The reactor SDK: what a reactor imports, and all of Ouroboros that ships inside its artifact.

A reactor package imports this package, the standard library, boto3 and its own modules, nothing
else. The artifact built from it (`ouroboros.reactors.packaging`) holds this package's files,
every one of them, and the reactor: nothing of the core. The package imports nothing of the
project (the rings test enforces it); the core reuses its errors (`reactor_sdk.errors`) and its
session factory (`reactor_sdk.session`), never the reverse.

Modules: ``base`` (the `Reactor` class and its typed results), ``registry`` (``@reactor``),
``finding`` (the finding a reactor sees), ``params`` (the parameters schema subset and its
validator), ``handler`` (the Lambda entry point and the invocation contract), ``errors``,
``session`` (sessions in the finding's account through the member role with ExternalId),
``quiet`` (keeps secrets out of botocore's DEBUG logs).
"""

from reactor_sdk.base import (
    SDK_VERSION,
    Change,
    Permission,
    Reactor,
    RemediationResult,
)
from reactor_sdk.errors import (
    MemberAccessError,
    ReactorError,
    ReactorInputError,
    ReactorParamsError,
    ReactorRollbackError,
)
from reactor_sdk.finding import Finding, FindingResource
from reactor_sdk.handler import reactor_handler, reactor_invoke
from reactor_sdk.registry import REACTORS, reactor
from reactor_sdk.session import client, member_session

__all__ = [
    "REACTORS",
    "SDK_VERSION",
    "Change",
    "Finding",
    "FindingResource",
    "MemberAccessError",
    "Permission",
    "Reactor",
    "ReactorError",
    "ReactorInputError",
    "ReactorParamsError",
    "ReactorRollbackError",
    "RemediationResult",
    "client",
    "member_session",
    "reactor",
    "reactor_handler",
    "reactor_invoke",
]
