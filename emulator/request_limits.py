"""The field limits AWS enforces on a request, checked before the emulator side accepts it.

moto and the local Security Hub accept almost anything, so a request that AWS would refuse (a
custom action name over 20 characters, a 10-digit account id, 101 findings in one import) passes
every local test and fails on AWS. `request_problems` lists every such problem of one request, in
two layers:

1. The botocore service model: botocore's own `ParamValidator` (types, required members, enums,
   ``min``), then the model's ``max`` and ``pattern`` constraints, which botocore's client-side
   validation does not check (`_model_walk`). Model patterns are Java regular expressions that AWS
   matches against the whole value; one Python cannot compile is skipped.
2. `DOCUMENTED_LIMITS`: limits AWS states only in documentation text, each row with the URL of the
   page that states it (`emulator.request_limits_table`).

Each problem names the member path (``Findings[3].Id``), the limit and its source.
`request_check` raises `RequestLimitError`; `session_limits_install` checks every request of a
boto3 / botocore session or client before it is sent (botocore ``before-parameter-build``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator

from emulator.request_limits_table import DOCUMENTED_LIMITS, DocumentedLimit, path_values
from ouroboros.errors import ValidationError

__all__ = [
    "DOCUMENTED_LIMITS",
    "DocumentedLimit",
    "RequestLimitError",
    "documented_problems",
    "model_problems",
    "model_walk_problems",
    "operation_problems",
    "path_values",
    "request_check",
    "request_problems",
    "service_model",
    "session_limits_install",
]

logger = logging.getLogger(__name__)

HANDLER_ID = "ouroboros-request-limits"
#: Maps whose keys and values the model marks ``.*\S.*`` (not blank) but AWS stores blank:
#: GuardDuty's own findings in Security Hub carry empty ProductFields values (the sample
#: ``docs_guardduty_unauthorizedaccess_ec2_sshbruteforce.json``, from the GuardDuty user guide).
UNENFORCED_MAP_PATTERNS = {"securityhub": frozenset({"FieldMap"})}
#: Java character classes in model patterns that Python's ``re`` spells differently.
_JAVA_CLASSES = {r"\p{ASCII}": r"\x00-\x7F", r"\p{Alnum}": r"A-Za-z0-9"}


class RequestLimitError(ValidationError, ValueError):
    """A request breaks limits AWS enforces; ``problems`` names each member, limit and source."""

    def __init__(self, service: str, operation: str, problems: list[str]) -> None:
        self.service, self.operation, self.problems = service, operation, list(problems)
        super().__init__(f"{service} {operation}: " + "; ".join(self.problems))


@lru_cache(maxsize=32)
def service_model(service: str) -> ServiceModel:
    """botocore's model of ``service`` (loaded once per process)."""
    return botocore.session.get_session().get_service_model(service)


def request_problems(service: str, operation: str, params: Mapping[str, Any]) -> list[str]:
    """Every problem of ``params`` as a request of ``service``'s ``operation`` (both layers)."""
    return operation_problems(service_model(service).operation_model(operation), params)


def operation_problems(operation: OperationModel, params: Mapping[str, Any]) -> list[str]:
    """`request_problems` for a botocore operation model (what a client's event carries)."""
    service = operation.service_model.service_name
    documented = documented_problems(service, operation.name, params)
    covered = {problem.split(":", 1)[0] for problem in documented}
    model = [p for p in model_problems(operation, params) if p.split(":", 1)[0] not in covered]
    return model + documented


def request_check(service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Raise `RequestLimitError` if ``params`` break any limit (see `request_problems`)."""
    problems = request_problems(service, operation, params)
    if problems:
        raise RequestLimitError(service, operation, problems)


def documented_problems(service: str, operation: str, params: Mapping[str, Any]) -> list[str]:
    """The problems of ``params`` against the `DOCUMENTED_LIMITS` rows of this operation."""
    problems: list[str] = []
    for row in DOCUMENTED_LIMITS:
        if row.service == service and row.operation == operation:
            problems += row.problems(params)
    return problems


# -- layer 1: the botocore service model --------------------------------------------------------


def model_problems(operation: OperationModel, params: Mapping[str, Any]) -> list[str]:
    """Problems botocore's validator finds, then the model's ``max`` / ``pattern`` ones."""
    shape = operation.input_shape
    if shape is None:
        return []
    report = ParamValidator().validate(dict(params), shape)
    problems = [
        _botocore_problem(line, _source(operation))
        for line in report.generate_report().splitlines()
        if line.strip()
    ]
    return problems + model_walk_problems(operation, params)


def model_walk_problems(operation: OperationModel, params: Mapping[str, Any]) -> list[str]:
    """Only the model's ``max``, ``pattern`` and enum problems (for requests read off the wire)."""
    shape = operation.input_shape
    if shape is None:
        return []
    exempt = UNENFORCED_MAP_PATTERNS.get(operation.service_model.service_name, frozenset())
    return _model_walk(params, shape, "", _Walk(_source(operation), exempt))


def _source(operation: OperationModel) -> str:
    return f"botocore model {operation.service_model.service_name} {operation.name}"


_MEMBER_IN = re.compile(r'(Missing required|Unknown) parameter in ([^:]+): "(\w+)"')
_PARAMETER = re.compile(r"for parameter ([^\s,]+)")


def _botocore_problem(line: str, source: str) -> str:
    """botocore's report line, led by the member path it is about."""
    member = _MEMBER_IN.match(line)
    if member is not None:
        kind, container, name = member.groups()
        path = name if container == "input" else f"{container}.{name}"
        what = "missing required member" if kind == "Missing required" else "unknown member"
        return f"{path}: {what} ({source})"
    parameter = _PARAMETER.search(line)
    path = parameter.group(1) if parameter else "input"
    return f"{path}: {line} ({source})"


@dataclass(frozen=True)
class _Walk:
    source: str  # "botocore model <service> <operation>"
    exempt_maps: frozenset[str]  # map shapes whose keys and values are not pattern-checked


def _model_walk(value: Any, shape: Shape, path: str, walk: _Walk) -> list[str]:
    """The ``max``, ``pattern`` and enum problems of ``value`` (botocore checks ``min``)."""
    source = walk.source
    kind = shape.type_name
    where = path or "input"
    if kind == "structure" and isinstance(value, Mapping):
        found: list[str] = []
        for name, member in shape.members.items():
            if name in value:
                found += _model_walk(value[name], member, f"{path}.{name}" if path else name, walk)
        return found
    if kind == "list" and isinstance(value, (list, tuple)):
        found = _max_problem(len(value), shape, where, "items", source)
        for index, item in enumerate(value):
            found += _model_walk(item, shape.member, f"{path}[{index}]", walk)
        return found
    if kind == "map" and isinstance(value, Mapping):
        found = _max_problem(len(value), shape, where, "entries", source)
        if shape.name in walk.exempt_maps:
            return found
        for key, item in value.items():
            found += _model_walk(key, shape.key, f"{path}.{{key {key!r}}}", walk)
            found += _model_walk(item, shape.value, f"{path}[{key!r}]", walk)
        return found
    if kind == "string" and isinstance(value, str):
        return (
            _max_problem(len(value), shape, where, "characters", source)
            + _pattern_problem(value, shape, where, source)
            + _enum_problem(value, shape, where, source)
        )
    if kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        maximum = shape.metadata.get("max")
        if maximum is not None and value > maximum and not isinstance(value, bool):
            return [f"{where}: {value} is more than the maximum {maximum} ({source} {shape.name})"]
    if kind == "blob" and isinstance(value, bytes):  # on the wire a blob is base64 text
        return _max_problem(len(value), shape, where, "bytes", source)
    return []


def _max_problem(size: int, shape: Shape, where: str, unit: str, source: str) -> list[str]:
    maximum = shape.metadata.get("max")
    if maximum is None or size <= maximum:
        return []
    return [f"{where}: {size} {unit}, more than the {maximum} allowed ({source} {shape.name} max)"]


def _pattern_problem(value: str, shape: Shape, where: str, source: str) -> list[str]:
    text = shape.metadata.get("pattern")
    if not text:
        return []
    pattern = _compiled(text)
    if pattern is None or pattern.fullmatch(value):
        return []
    shown = value if len(value) <= 80 else value[:77] + "..."
    return [f"{where}: {shown!r} does not match the pattern {text} ({source} {shape.name} pattern)"]


def _enum_problem(value: str, shape: Shape, where: str, source: str) -> list[str]:
    allowed = getattr(shape, "enum", None) or []
    if not allowed or value in allowed:
        return []
    return [f"{where}: {value!r} is not one of {', '.join(allowed)} ({source} {shape.name} enum)"]


@lru_cache(maxsize=1024)
def _compiled(java: str) -> re.Pattern[str] | None:
    text = java
    for java_class, python_class in _JAVA_CLASSES.items():
        text = text.replace(java_class, python_class)
    try:
        # DOTALL: ``.*\S.*`` (Security Hub's "not blank") must accept multi-line descriptions.
        return re.compile(text, re.DOTALL)
    except re.error:
        logger.debug("model pattern %r is not a Python regular expression: skipped", java)
        return None


# -- the hook on boto3 / botocore sessions and clients -------------------------------------------


def _before_parameter_build(params: Mapping[str, Any], model: OperationModel, **_: Any) -> None:
    problems = operation_problems(model, params)
    if problems:
        raise RequestLimitError(model.service_model.service_name, model.name, problems)


def session_limits_install(target: Any) -> Any:
    """Check every request of ``target`` before it is sent; returns ``target``.

    ``target`` is a boto3 ``Session``, a botocore ``Session`` or a client. A session passes the
    hook to the clients created from it afterwards (botocore copies the session's handlers into
    each new client), so install it before creating clients. Installing twice is harmless.
    """
    events = getattr(getattr(target, "meta", None), "events", None)  # a client
    if events is None:
        events = getattr(target, "events", None)  # a boto3 Session
    if events is None:
        events = target.get_component("event_emitter")  # a botocore Session
    events.register_last("before-parameter-build", _before_parameter_build, unique_id=HANDLER_ID)
    return target
