"""Reactors: the SDK reactors are written with, and the Hub / installer machinery around them.

The SDK (what a reactor imports, and what ships inside every reactor artifact with
`ouroboros.aws`, `ouroboros.config` and `ouroboros.errors`) is this module and ``base``,
``registry``, ``params``, ``finding``, ``handler``, ``errors``: standard library and boto3 only.

The rest runs in Ouroboros itself, never inside an artifact: ``manifest`` (schema checks),
``packaging`` (deterministic zips), ``isolation`` (importing a package alone), ``hub`` and
``catalog`` (publish, verify, read the Hub), ``services`` / ``installer`` (install in a consumer),
``stream_records`` (DynamoDB stream records). Assigning reactors to controls is
`ouroboros.controls.configuration`.
"""

from ouroboros.reactors.base import (
    SDK_VERSION,
    Change,
    Permission,
    Reactor,
    RemediationResult,
)
from ouroboros.reactors.errors import (
    ReactorError,
    ReactorInputError,
    ReactorParamsError,
    ReactorRollbackError,
)
from ouroboros.reactors.finding import Finding, FindingResource
from ouroboros.reactors.handler import reactor_handler, reactor_invoke
from ouroboros.reactors.registry import REACTORS, reactor

__all__ = [
    "REACTORS",
    "SDK_VERSION",
    "Change",
    "Finding",
    "FindingResource",
    "Permission",
    "Reactor",
    "ReactorError",
    "ReactorInputError",
    "ReactorParamsError",
    "ReactorRollbackError",
    "RemediationResult",
    "reactor",
    "reactor_handler",
    "reactor_invoke",
]
