"""Production settings: ``manage.py check --deploy`` is clean, and the headers and cookies a
browser gets are the hardened ones (HSTS, CSP, frame denial, ``__Host-`` secure cookies).

Each check runs ``manage.py`` in a subprocess with the environment production requires, so the
real ``console.settings.production`` module is imported (not the test settings).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "p" + "x7Kq2-Vd9!zR4mWb8Tn5Yc1Lf6Hg3Js0Ae" * 2,  # long, random-looking
    "DATABASE_URL": "postgres://ouroboros:secret@127.0.0.1:5432/ouroboros",
    "DJANGO_ALLOWED_HOSTS": "console.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://console.example.com",
}


def _run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "AWS_ENDPOINT_URL"))
    }
    environ.update(env, OUROBOROS_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_in_production(tmp_path: Path) -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "console.settings.production"},
        tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_does_find_problems_in_the_local_settings(tmp_path: Path) -> None:
    """The same command on the local settings fails: the clean result above is not vacuous."""
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {"DJANGO_SETTINGS_MODULE": "console.settings.local"},
        tmp_path,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # no HSTS locally


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(tmp_path: Path, missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _run(
        ["manage.py", "check"],
        {**env, "DJANGO_SETTINGS_MODULE": "console.settings.production"},
        tmp_path,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr


PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client, override_settings
# Hashed static names need collectstatic (done at packaging); plain names suffice for the probe.
plain = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=plain):
    response = Client(HTTP_HOST="console.example.com").get("/login/", secure=True)
cookie = response.cookies.get(settings.CSRF_COOKIE_NAME)
print(json.dumps({
    "status": response.status_code,
    "headers": dict(response.headers),
    "cookie": {k: cookie[k] for k in ("secure", "httponly", "samesite")} if cookie else None,
    "cookie_name": settings.CSRF_COOKIE_NAME,
    "session_cookie": [settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_SECURE,
                       settings.SESSION_COOKIE_HTTPONLY],
    "debug": settings.DEBUG,
    "middleware": settings.MIDDLEWARE,
}))
"""


def test_production_responses_carry_the_hardened_headers_and_cookies(tmp_path: Path) -> None:
    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",  # the probe touches no table
        "DJANGO_SETTINGS_MODULE": "console.settings.production",
    }
    result = _run(["-c", PROBE], env, tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] == 200 and seen["debug"] is False
    headers = seen["headers"]
    hsts = headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
    csp = headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert seen["cookie_name"] == "__Host-csrftoken"
    assert seen["cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert seen["session_cookie"] == ["__Host-sessionid", True, True]
    middleware = seen["middleware"]
    assert middleware[0] == "django.middleware.security.SecurityMiddleware"
    assert "django.middleware.csrf.CsrfViewMiddleware" in middleware
    assert "console.access.middleware.ContentSecurityPolicyMiddleware" in middleware
