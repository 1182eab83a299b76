"""A control's reactor parameters and the controls a reactor may serve, from its installed record.

An installed reactor's record (`ouroboros.models.LocalReactorModel`) carries the manifest it was
installed from: ``params_schema`` (the JSON Schema subset of `reactor_sdk.params`) and
``control_ids`` (the controls it declares). The configuration services
(`ouroboros.controls.configuration`) check every write against them:

- `control_params_validate`: the parameters a person sets on a control, refused with
  `ControlParamsError` naming each offending parameter (the console form puts each message on its
  field, the API on ``#/params/<name>``);
- `reactor_undeclared`: the controls of a request the reactor does not declare (an assignment to
  any of them is refused, naming them).

The stored parameters are what the person set; `control_params_effective` adds the schema's
defaults for the workflow (what the reactor runs with, recorded on the execution).

A record without a manifest (written by hand: nothing installs one that way) declares no schema:
it takes no parameters, and its controls are not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ouroboros.errors import ValidationError
from ouroboros.models import ControlModel, LocalReactorModel
from reactor_sdk.errors import ReactorParamsError
from reactor_sdk.params import EMPTY_SCHEMA, params_validate

#: The key of `ControlParamsError.problems` for a problem of the parameters as a whole.
WHOLE = ""


class ControlParamsError(ValidationError):
    """Parameters a reactor's schema refuses; ``problems`` maps each parameter to its message."""

    def __init__(self, message: str, *, problems: Mapping[str, str]) -> None:
        super().__init__(message)
        self.problems = dict(problems)


def _plain(value: Any) -> dict[str, Any]:
    """A map attribute's value as a dict (read from the table, or as assigned in memory)."""
    if value is None:
        return {}
    return dict(value.as_dict() if hasattr(value, "as_dict") else value)


def _manifest(reactor: LocalReactorModel) -> dict[str, Any]:
    return _plain(reactor.manifest)


def control_params(control: ControlModel) -> dict[str, Any]:
    """The parameters stored on ``control`` (as set: without the schema's defaults)."""
    return _plain(control.params)


def reactor_params_schema(reactor: LocalReactorModel | None) -> dict[str, Any]:
    """The installed reactor's ``params_schema`` (no reactor, no manifest: no parameters)."""
    schema = _manifest(reactor).get("params_schema") if reactor is not None else None
    return dict(schema) if isinstance(schema, Mapping) else dict(EMPTY_SCHEMA)


def reactor_recommended_mode(reactor: LocalReactorModel) -> str:
    """The mode ``reactor`` recommends in its manifest (``auto`` when it names none)."""
    mode = _manifest(reactor).get("recommended_mode")
    return mode if mode in ("dry_run", "manual") else "auto"


def reactor_control_ids(reactor: LocalReactorModel) -> list[str] | None:
    """The controls ``reactor`` declares; None when its record holds no manifest."""
    declared = _manifest(reactor).get("control_ids")
    return [str(c) for c in declared] if isinstance(declared, list | tuple) else None


def reactor_declares(reactor: LocalReactorModel, control_id: str) -> bool:
    """Whether ``reactor`` may serve ``control_id`` (ids compare case-insensitively)."""
    return not reactor_undeclared(reactor, [control_id])


def reactor_undeclared(reactor: LocalReactorModel, control_ids: Iterable[str]) -> list[str]:
    """The ids of ``control_ids`` that ``reactor`` does not declare, in the given order."""
    declared = reactor_control_ids(reactor)
    if declared is None:
        return []
    known = {c.casefold() for c in declared}
    return [c for c in control_ids if c.casefold() not in known]


def _property_problem(schema: Mapping[str, Any], name: str, value: Any) -> str | None:
    sub = {"type": "object", "properties": {name: schema["properties"][name]}}
    try:
        params_validate(sub, {name: value})
    except ReactorParamsError as exc:
        return str(exc)
    return None


def control_params_validate(
    *, reactor: LocalReactorModel | None, params: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``params`` as given, when ``reactor``'s schema accepts them (its defaults filling gaps).

    `ControlParamsError` otherwise, with one message per offending parameter.
    """
    if params is not None and not isinstance(params, Mapping):
        raise ControlParamsError(
            "params: expected an object", problems={WHOLE: "params: expected an object"}
        )
    values = dict(params or {})
    schema = reactor_params_schema(reactor)
    properties: Mapping[str, Any] = schema.get("properties") or {}
    problems: dict[str, str] = {}
    for name, value in values.items():
        if name in properties:
            problem = _property_problem(schema, name, value)
        elif schema.get("additionalProperties") is False:
            problem = f"params/{name}: unknown parameter (the reactor declares none of that name)"
        else:
            problem = None
        if problem:
            problems[name] = problem
    for name in schema.get("required") or []:
        if name not in values and "default" not in (properties.get(name) or {}):
            problems[name] = f"params/{name}: required"
    if not problems:
        try:
            params_validate(schema, values)
        except ReactorParamsError as exc:
            problems[WHOLE] = str(exc)
    if problems:
        raise ControlParamsError("; ".join(problems.values()), problems=problems)
    return values


def control_params_effective(
    *, reactor: LocalReactorModel | None, params: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``params`` with ``reactor``'s defaults applied: what the reactor runs with.

    Parameters its schema no longer accepts (an upgrade changed it) are returned as stored: the
    reactor refuses them when it runs, and the failed execution says why.
    """
    try:
        return params_validate(reactor_params_schema(reactor), dict(params or {}))
    except ReactorParamsError:
        return dict(params or {})
