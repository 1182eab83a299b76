"""The authorization matrix: every route under /api/, every method, every kind of caller.

`MATRIX` lists each route the URLconf exposes under /api/ (as the resolver spells it) with the
methods it serves and, per caller, the expected status. `test_every_api_route_is_in_the_matrix`
fails when a route (or a method of a route) is not in it, so a new endpoint cannot ship without
its row. Methods a route does not serve must answer 405 (or 401/403 before dispatch), never 2xx.

To add an endpoint: add a `Route` with one `Cell` per method (``READ``, ``WRITE``, ``ADMIN_READ``
or your own dict of statuses) and, when it needs them, ``kwargs`` (URL arguments) and ``body``
factories that get the `Principal` and return what the request needs to succeed when allowed,
and a ``setup`` that seeds the data the calls need (moto is active, tables exist), e.g.::

    "api/v1/controls/<str:control_id>": Route(
        "api-control",
        {"GET": Cell(READ), "PATCH": Cell(WRITE, kwargs=..., body=lambda p: {...})},
        setup=lambda: catalog_loaded(controls=catalog_controls()[:1]),
    ),
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from console.tokens.services import api_token_create
from tests.console.api import seed
from tests.console.api.conftest import PRINCIPALS, Principal, assert_problem

pytestmark = [pytest.mark.django_db, pytest.mark.functional]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
OK = "ok"  # the cell's success status


def _cells(ok: set[str], refused_authenticated: int = 403) -> dict[str, int | str]:
    cells: dict[str, int | str] = {}
    for principal in PRINCIPALS:
        if principal in ok:
            cells[principal] = OK
        elif principal == "anonymous":
            cells[principal] = 401
        else:
            cells[principal] = refused_authenticated
    return cells


#: Reads: any role from viewer up, with a session or any token.
READ = _cells(set(PRINCIPALS) - {"anonymous", "no_role"})
#: Writes: operator or admin, with a session or a write token (the owner's role still counts).
WRITE = _cells({"operator", "admin", "write_token"})
#: Admin-only reads.
ADMIN_READ = _cells({"admin", "admin_read_token"})
#: Every caller, even anonymous, gets this status.
EVERYONE_404 = dict.fromkeys(PRINCIPALS, 404)


@dataclass(frozen=True)
class Cell:
    expected: dict[str, int | str]
    success: int = 200
    kwargs: Callable[[Principal], dict[str, Any]] = lambda principal: {}
    body: Callable[[Principal], Any] = lambda principal: None


@dataclass(frozen=True)
class Route:
    name: str | None
    methods: dict[str, Cell]
    #: Route with no name (the catch-all): a concrete path to call.
    sample_path: str | None = None
    problem_404_everywhere: bool = False
    #: Seeds what the calls need (runs once, before the calls).
    setup: Callable[[], None] = lambda: None


_targets = itertools.count()


def _own_token(principal: Principal) -> dict[str, Any]:
    """A fresh token of the caller's user (anonymous: someone's), to revoke."""
    from django.contrib.auth import get_user_model

    user = principal.user or get_user_model().objects.get(username="opal")
    created = api_token_create(user=user, name=f"target-{next(_targets)}", scope="read")
    return {"token_id": created.token.pk}


def _finding_id() -> str:
    return str(seed.sample_asff(seed.SAMPLE)["Id"])


def _remediable() -> None:
    """The seeded finding, its control with an installed reactor (what a run needs)."""
    seed.finding_seed()
    seed.control_remediable()


def _install_body() -> dict[str, Any]:
    """Each allowed caller installs anew: the previous one's install is undone first."""
    seed.reactor_absent()
    return {"reactor_id": seed.HUB, "version": "1.0.0"}


MATRIX: dict[str, Route] = {
    "api/v1/summary": Route("api-summary", {"GET": Cell(READ)}),
    "api/v1/tokens": Route(
        "api-tokens",
        {
            "GET": Cell(READ),
            "POST": Cell(
                WRITE,
                success=201,
                body=lambda p: {"name": f"new-{p.name}", "scope": "read", "expires_days": 7},
            ),
        },
    ),
    "api/v1/tokens/<id:token_id>": Route(
        "api-token", {"DELETE": Cell(WRITE, success=204, kwargs=_own_token)}
    ),
    "api/v1/audit": Route("api-audit", {"GET": Cell(ADMIN_READ)}),
    "api/v1/findings": Route("api-findings", {"GET": Cell(READ)}, setup=seed.finding_seed),
    "api/v1/findings/bulk": Route(
        "api-findings-bulk",
        {
            "POST": Cell(
                WRITE,
                body=lambda p: {
                    "action": "workflow",
                    "status": "SUPPRESSED",
                    "note": "accepted risk",
                    "finding_ids": [_finding_id()],
                },
            )
        },
        setup=seed.finding_seed,
    ),
    "api/v1/findings/<finding:finding_id>": Route(
        "api-finding",
        {"GET": Cell(READ, kwargs=lambda p: {"finding_id": _finding_id()})},
        setup=seed.finding_seed,
    ),
    "api/v1/findings/<finding:finding_id>/remediate": Route(
        "api-finding-remediate",
        {
            "POST": Cell(
                WRITE,
                success=202,
                kwargs=lambda p: {"finding_id": _finding_id()},
                body=lambda p: {"dry_run": True},
            )
        },
        setup=_remediable,
    ),
    "api/v1/controls": Route("api-controls", {"GET": Cell(READ)}, setup=seed.control_seed),
    "api/v1/controls/<key:control_id>": Route(
        "api-control",
        {
            "GET": Cell(READ, kwargs=lambda p: {"control_id": seed.CONTROL}),
            "PATCH": Cell(
                WRITE,
                kwargs=lambda p: {"control_id": seed.CONTROL},
                body=lambda p: {
                    "version": seed.control_version(),
                    "reactor_id": seed.INSTALLED,
                    "mode": "manual",
                },
            ),
        },
        setup=seed.control_seed,
    ),
    "api/v1/executions": Route("api-executions", {"GET": Cell(READ)}, setup=seed.execution_seed),
    "api/v1/executions/<key:execution_id>/rollback": Route(
        "api-execution-rollback",
        {
            "POST": Cell(
                WRITE,
                success=202,
                kwargs=lambda p: {"execution_id": seed.execution_rollbackable()},
            )
        },
        setup=_remediable,
    ),
    "api/v1/executions/<key:execution_id>": Route(
        "api-execution",
        {"GET": Cell(READ, kwargs=lambda p: {"execution_id": seed.EXECUTION})},
        setup=seed.execution_seed,
    ),
    "api/v1/reactors": Route(
        "api-reactors",
        {
            "GET": Cell(READ),
            "POST": Cell(WRITE, success=202, body=lambda p: _install_body()),
        },
        setup=seed.hub_seed,
    ),
    "api/v1/reactors/<key:reactor_id>": Route(
        "api-reactor",
        {
            "DELETE": Cell(
                WRITE, success=202, kwargs=lambda p: {"reactor_id": seed.reactor_installed()}
            )
        },
        setup=seed.hub_seed,
    ),
    "api/v1/reactors/<key:reactor_id>/upgrade": Route(
        "api-reactor-upgrade",
        {
            "POST": Cell(
                WRITE,
                success=202,
                kwargs=lambda p: {"reactor_id": seed.reactor_installed(version="1.0.0")},
                body=lambda p: {"version": "1.1.0"},
            )
        },
        setup=seed.hub_seed,
    ),
    "api/v1/hub/reactors": Route("api-hub-reactors", {"GET": Cell(READ)}, setup=seed.hub_seed),
    "api/v1/hub/reactors/<key:reactor_id>": Route(
        "api-hub-reactor",
        {"GET": Cell(READ, kwargs=lambda p: {"reactor_id": seed.HUB})},
        setup=seed.hub_seed,
    ),
    "api/schema/": Route("api-schema", {"GET": Cell(READ)}),
    "api/docs/": Route("api-docs", {"GET": Cell(READ)}),
    "api/^(?P<unknown>[\\s\\S]*)$": Route(
        None,
        {m: Cell(EVERYONE_404) for m in METHODS},
        sample_path="/api/v1/no-such-thing",
        problem_404_everywhere=True,
    ),
}


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def api_routes() -> dict[str, URLPattern]:
    """Every route the URLconf exposes under /api/, keyed by its full pattern."""
    return {route: p for route, p in _walk(get_resolver().url_patterns) if route.startswith("api")}


def _served_methods(pattern: URLPattern) -> set[str]:
    callback = pattern.callback
    if hasattr(callback, "operations"):
        return set(callback.operations)
    if hasattr(callback, "cls"):
        allowed = callback.cls(**getattr(callback, "initkwargs", {})).allowed_methods
        return {m for m in allowed if m in METHODS}
    return set(METHODS)  # a plain view (the catch-all) answers every method


def test_every_api_route_is_in_the_matrix() -> None:
    routes = api_routes()
    assert set(routes) - set(MATRIX) == set(), "routes missing from the authorization matrix"
    assert set(MATRIX) - set(routes) == set(), "matrix rows for routes that no longer exist"
    for route, pattern in routes.items():
        assert _served_methods(pattern) == set(MATRIX[route].methods), route
        assert pattern.name == (MATRIX[route].name or pattern.name), route


def test_the_matrix_check_catches_an_unlisted_route() -> None:
    routes = api_routes()
    routes["api/v1/new-thing"] = routes["api/v1/summary"]
    assert set(routes) - set(MATRIX) == {"api/v1/new-thing"}


def _call(principal: Principal, method: str, path: str, body: Any) -> Any:
    client = principal.client
    caller = getattr(client, method.lower())
    if body is None:
        return caller(path)
    return caller(path, body, content_type="application/json")


def _path(route: Route, cell: Cell, principal: Principal) -> str:
    if route.sample_path:
        return route.sample_path
    assert route.name is not None
    return reverse(route.name, kwargs=cell.kwargs(principal))


@pytest.mark.parametrize("route_key", list(MATRIX))
def test_authorization_matrix(
    route_key: str, principals: dict[str, Principal], moto_aws: None
) -> None:
    route = MATRIX[route_key]
    route.setup()
    mismatches = []
    for method in METHODS:
        cell = route.methods.get(method)
        for name in PRINCIPALS:
            principal = principals[name]
            if cell is None:
                # Not served: 405 for everybody (the routing answers before authentication).
                any_cell = next(iter(route.methods.values()))
                response = _call(principal, method, _path(route, any_cell, principal), None)
                if response.status_code != 405 or not response.get("Allow"):
                    mismatches.append((method, name, "405 + Allow", response.status_code))
                continue
            expected = cell.expected[name]
            path = _path(route, cell, principal)
            response = _call(principal, method, path, cell.body(principal))
            want = cell.success if expected == OK else expected
            if response.status_code != want:
                mismatches.append((method, name, want, response.status_code))
            elif expected != OK or route.problem_404_everywhere:
                assert_problem(response, response.status_code)
                if response.status_code == 401:
                    assert response["WWW-Authenticate"].startswith("Bearer")
    assert mismatches == [], f"{route_key}: (method, caller, expected, got)"
