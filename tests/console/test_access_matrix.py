"""Walk every console URL the resolver knows: a viewer changes nothing, anonymous sees only login.

The routes are not listed by hand: `console_routes` walks ``get_resolver()`` (everything outside
``api/``, whose own matrix is ``tests/console/api/test_authorization.py``; the Django admin is
walked through its registered models), so a route added tomorrow is in these tests without
anyone remembering to add it. For each route:

- a viewer's POST / PUT / PATCH / DELETE, with a body that an operator's or an admin's save would
  accept and the URL arguments of real objects (a control, its exemption, an installed reactor, a
  finding, an execution, an API token), must answer 403 or 405 (the admin: a redirect to its own
  login page), make no AWS call other than a read, and leave every Django table as it was;
- an anonymous GET / HEAD / POST must be sent to a login page (or get 405 from a POST-only view),
  never a page of data.

`test_the_walk_catches_a_post_route_without_a_role_check` plants a route that forgets its role
check and shows the walk reports it, so the walk is known to fail when it should.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.views.decorators.http import require_POST

from console.tokens.services import api_token_create
from ouroboros.controls.configuration import control_exemption_add
from ouroboros.controls.exemptions import ExemptionInput
from tests.console.conftest import REACTOR, Seeded, seed_security_data
from tests.console.pages import aws_calls

pytestmark = pytest.mark.integration

SKIPPED = ("api/",)  # its own matrix test walks it, with tokens as well as sessions
#: Signing in and out is what these routes are for; they change no security data.
SESSION_ROUTES = ("login/", "logout/")
UNSAFE = ("post", "put", "patch", "delete")
#: AWS operations a refused request may make (none is needed; reads are harmless).
READ_OPERATIONS = re.compile(r"^(Get|BatchGet|Query|Scan|Describe|List)")


@dataclass(frozen=True)
class ConsoleRoute:
    """One URL of the console: the resolver's route and a concrete URL with real arguments."""

    route: str
    url: str
    admin: bool = False


def _fill(route: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"route {route!r}: give the test a real value for <{name}>"
        return quote(values[name], safe="")

    url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)
    return url.replace("^", "").replace("$", "")


def _admin_routes() -> list[ConsoleRoute]:
    from django.contrib import admin

    routes = [ConsoleRoute("admin/", reverse("admin:index"), admin=True)]
    for model in admin.site._registry:
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        routes.append(ConsoleRoute(f"{prefix}_changelist", reverse(f"{prefix}_changelist"), True))
        routes.append(ConsoleRoute(f"{prefix}_add", reverse(f"{prefix}_add"), True))
        for action in ("change", "delete", "history"):
            url = reverse(f"{prefix}_{action}", args=["1"])
            routes.append(ConsoleRoute(f"{prefix}_{action}", url, True))
    return routes


def console_routes(values: dict[str, str]) -> list[ConsoleRoute]:
    """Every URL pattern outside ``api/`` with ``values`` as its arguments, plus the admin's."""
    routes: list[ConsoleRoute] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(SKIPPED):
                continue
            if route.startswith("admin/"):
                if not any(r.admin for r in routes):
                    routes.extend(_admin_routes())
                continue
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                routes.append(ConsoleRoute(route, _fill(route, values)))

    walk(get_resolver().url_patterns, "")
    return routes


@dataclass
class World:
    """Real objects for every URL argument, and a body every form would accept."""

    values: dict[str, str]
    body: dict[str, str]


@pytest.fixture
def world(ddb_tables: str, make_user: Callable[[str], Any]) -> World:
    seeded: Seeded = seed_security_data()
    control = control_exemption_add(
        control_id="S3.2",
        expected_version=0,
        exemption=ExemptionInput(account="111111111111", reason="test"),
        actor="setup",
    )
    [exemption] = control.exemptions
    admin_user = make_user("admin")
    token = api_token_create(user=admin_user, name="pipeline", scope="write").token
    values = {
        "control_id": "S3.2",
        "exemption_id": exemption.exemption_id,
        "reactor_id": REACTOR,
        "finding_id": seeded.hostile.finding_id,
        "execution_id": seeded.executions[0].execution_id,
        "token_id": str(token.pk),
        "job_id": "00000000-0000-4000-8000-000000000021",  # a findings export (none: 404)
        "entry_id": "1",  # a bulk action's summary (an audit entry; none: 404)
    }
    body = {
        "reactor_id": REACTOR,
        "mode": "auto",
        "version": str(control.version),
        "account": "222222222222",
        "reason": "walk",
        "finding_id": seeded.hostile.finding_id,
        "dry_run": "on",
        "user": str(admin_user.pk),
        "name": "walked",
        "scope": "write",
        "username": "intruder",
        "password1": "a-long-Passw0rd!",
        "password2": "a-long-Passw0rd!",
        "post": "yes",
    }
    return World(values=values, body=body)


def django_rows() -> dict[str, list[str]]:
    """Every row of every Django table, to compare before and after.

    Sessions are compared by what they hold: every request saves its session again (the idle
    timeout slides), with a new expiry date and a freshly signed encoding.
    """
    from django.apps import apps
    from django.contrib.sessions.models import Session

    rows = {
        model._meta.label: sorted(repr(row) for row in model.objects.values_list())
        for model in apps.get_models()
        if model is not Session
    }
    rows[Session._meta.label] = sorted(
        repr((session.session_key, session.get_decoded())) for session in Session.objects.all()
    )
    return rows


def _sent_to_login(response: Any, admin: bool) -> bool:
    login = reverse("admin:login") if admin else reverse("login")
    return response.status_code == 302 and response["Location"].startswith(login)


def viewer_write_violations(viewer: Client, world: World) -> list[str]:
    """What a viewer's unsafe requests were allowed to do, route by route (empty: nothing)."""
    violations: list[str] = []
    for route in console_routes(world.values):
        if route.route in SESSION_ROUTES:
            continue
        for method in UNSAFE:
            before = django_rows()
            with aws_calls() as calls:
                response = getattr(viewer, method)(route.url, world.body)
            refused = (
                _sent_to_login(response, admin=True)
                if route.admin
                else response.status_code in (403, 405)
            )
            if not refused:
                violations.append(f"{method.upper()} {route.url}: {response.status_code}")
            writes = [c for c in calls if not READ_OPERATIONS.match(c)]
            if writes:
                violations.append(f"{method.upper()} {route.url}: AWS {writes}")
            if django_rows() != before:
                violations.append(f"{method.upper()} {route.url}: changed Django tables")
    return violations


def test_the_walk_covers_every_console_page_and_form(world: World) -> None:
    urls = {r.url for r in console_routes(world.values)}
    exemption = world.values["exemption_id"]

    for expected in (
        "/",
        "/findings/",
        "/controls/S3.2/configure/",
        f"/controls/S3.2/exemptions/{exemption}/remove/",
        f"/reactors/hub/{REACTOR}/install/",
        f"/reactors/installed/{REACTOR}/uninstall/",
        f"/tokens/{world.values['token_id']}/revoke",
        "/tokens/create",
        "/audit/",
        "/admin/auth/user/add/",
    ):
        assert expected in urls, expected
    assert any(u.endswith("/remediate/") for u in urls)
    assert any(u.endswith("/rollback/") for u in urls)


def test_a_viewer_cannot_change_anything_through_any_console_url(
    world: World, as_role: Callable[[str], Client]
) -> None:
    from ouroboros.models import ControlModel, LocalReactorModel

    viewer = as_role("viewer")
    control = ControlModel.get("S3.2", "CONTROL")
    reactor = LocalReactorModel.get(REACTOR)

    violations = viewer_write_violations(viewer, world)
    assert violations == [], "\n".join(violations)
    after = ControlModel.get("S3.2", "CONTROL")
    assert (after.version, after.reactor_id, len(after.exemptions or [])) == (
        control.version,
        control.reactor_id,
        1,
    )
    assert LocalReactorModel.get(REACTOR).status == reactor.status == "installed"


def test_an_anonymous_user_is_sent_to_login_from_every_console_url(world: World) -> None:
    anonymous = Client()

    for route in console_routes(world.values):
        if route.route in SESSION_ROUTES:
            continue
        for method in ("get", "head", "post"):
            response = getattr(anonymous, method)(route.url, world.body if method == "post" else {})
            allowed = _sent_to_login(response, route.admin) or response.status_code == 405
            assert allowed, (method, route.url, response.status_code)
            assert b"<table" not in response.content, (method, route.url)

    login = anonymous.get(reverse("login"))
    assert login.status_code == 200 and b'name="password"' in login.content


@require_POST
@login_required
def _planted(request: HttpRequest) -> HttpResponse:
    """A form handler that forgot its role check: any logged-in user's POST goes through."""
    from django.contrib.auth.models import Group

    Group.objects.create(name="planted")
    return HttpResponse("saved")


urlpatterns = [
    *get_resolver("console.urls").url_patterns,
    path("planted/", _planted),
]


def test_the_walk_catches_a_post_route_without_a_role_check(
    world: World, as_role: Callable[[str], Client]
) -> None:
    viewer = as_role("viewer")

    with override_settings(ROOT_URLCONF=__name__):
        violations = viewer_write_violations(viewer, world)

    assert "POST /planted/: 200" in violations
    assert "POST /planted/: changed Django tables" in violations
    assert all("/planted/" in v for v in violations), violations
