"""Login throttling and idle sessions (issue 17): the red team's 45 wrong passwords then the right
one is refused until the cool-off has passed, and a session left idle is logged out.

The login form is posted the way a browser does (``/login/`` with the CSRF-exempt test client);
time moves by rewinding the stored attempts (axes) or the clock the session store reads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.utils import timezone

PASSWORD = "correct-horse-battery"
ATTACKER = "203.0.113.7"
#: A page that needs a login and nothing but the console database.
PAGE = "/audit/"


@pytest.fixture
def victim(db: None) -> User:
    user = User.objects.create_user(username="victim", password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    return user


def login(client: Client, password: str, *, address: str = ATTACKER, **headers: str) -> int:
    """Post the login form; the status (302: logged in, 200: wrong password, 429: locked)."""
    response = client.post(
        "/login/",
        {"username": "victim", "password": password},
        REMOTE_ADDR=address,
        **headers,
    )
    return int(response.status_code)


def rewind_attempts(by: timedelta) -> None:
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - by)


def test_the_defaults_lock_after_five_failures_for_fifteen_minutes() -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_45_wrong_passwords_then_the_right_one_is_refused_until_the_cool_off(
    victim: User,
) -> None:
    client = Client()
    statuses = [login(client, f"guess-{n}") for n in range(45)]
    assert statuses[:4] == [200] * 4  # the form again, "wrong username or password"
    assert set(statuses[5:]) == {429}

    locked = client.post(
        "/login/", {"username": "victim", "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert "_auth_user_id" not in client.session

    rewind_attempts(settings.AXES_COOLOFF_TIME - timedelta(minutes=1))
    assert login(client, PASSWORD) == 429  # 14 minutes later: still locked (and restarted)

    rewind_attempts(settings.AXES_COOLOFF_TIME + timedelta(minutes=1))
    assert login(client, PASSWORD) == 302  # a quiet cool-off later
    assert client.session["_auth_user_id"] == str(victim.pk)


def test_the_address_is_remote_addr_not_a_forwarded_header(victim: User) -> None:
    client = Client()
    for n in range(5):
        forged = {"HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"}  # a new "address" every time
        login(client, f"guess-{n}", **forged)
    assert login(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99") == 429
    assert login(Client(), PASSWORD, address="192.0.2.10") == 302  # another real address


def test_an_admin_resets_the_lock(victim: User) -> None:
    client = Client()
    for n in range(5):
        login(client, f"guess-{n}")
    assert login(client, PASSWORD) == 429
    call_command("axes_reset_username", "victim", verbosity=0)
    assert login(client, PASSWORD) == 302


def test_the_limit_cool_off_and_idle_timeout_come_from_the_environment() -> None:
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    from console.settings import base

    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("OUROBOROS_LOGIN_FAILURE_LIMIT", "3")
            env.setenv("OUROBOROS_LOGIN_COOLOFF_MINUTES", "60")
            env.setenv("OUROBOROS_SESSION_IDLE_MINUTES", "10")
            importlib.reload(base)
            assert base.AXES_FAILURE_LIMIT == 3
            assert timedelta(hours=1) == base.AXES_COOLOFF_TIME
            assert base.SESSION_COOKIE_AGE == 600
            env.setenv("OUROBOROS_SESSION_IDLE_MINUTES", "0")
            with pytest.raises(ImproperlyConfigured, match="OUROBOROS_SESSION_IDLE_MINUTES"):
                importlib.reload(base)
    finally:
        importlib.reload(base)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Move the clock the session store reads (``django.utils.timezone.now``) forward."""
    offset = timedelta()
    real_now = timezone.now

    def now() -> datetime:
        return real_now() + offset

    def advance(by: timedelta) -> None:
        nonlocal offset
        offset += by

    monkeypatch.setattr(timezone, "now", now)
    return advance


def test_a_session_idle_past_the_timeout_is_logged_out(
    victim: User, clock: Callable[[timedelta], None]
) -> None:
    client = Client()
    assert login(client, PASSWORD) == 302
    assert client.get(PAGE).status_code == 200
    clock(timedelta(minutes=31))
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_active_session_is_kept_past_the_timeout(
    victim: User, clock: Callable[[timedelta], None]
) -> None:
    client = Client()
    assert login(client, PASSWORD) == 302
    for _ in range(4):  # two hours of use, a request every 20 minutes
        clock(timedelta(minutes=20))
        assert client.get(PAGE).status_code == 200
