"""Production settings (Lambda behind API Gateway, deployed by Zappa's ``console`` stage).

Read from the environment (``aws_environment_variables`` in ``zappa_settings.json``):

- ``DJANGO_SECRET_KEY``, or ``DJANGO_SECRET_KEY_PARAMETER``: the name of an SSM SecureString
  parameter, read once at cold start (bootstrap creates it with a random value). The value never
  sits in the function's configuration.
- ``DATABASE_URL``: PostgreSQL for Django's own tables (users, groups, tokens, sessions, audit),
  e.g. ``postgres://user:pass@host:5432/ouroboros`` (or ``DATABASE_URL_PARAMETER``, an SSM
  parameter holding it). Required: SQLite on Lambda's read-only disk would lose everything.
- ``DJANGO_ALLOWED_HOSTS`` (comma separated; ``.execute-api.<region>.amazonaws.com`` by default
  in the generated settings) and ``DJANGO_CSRF_TRUSTED_ORIGINS`` for a custom domain.

Static files are collected into the package at build time (Zappa prebuild) and served by
WhiteNoise with hashed names and far-future caching, linked under the request's script name
(the API Gateway stage path, ``/console``, on the default URL). Translations are not shipped
(``USE_I18N`` stays False).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from ouroboros.aws.parameters import parameter_get


def _from_parameter(name: str) -> None:
    """Fill ``os.environ[name]`` from the SSM parameter named by ``<name>_PARAMETER``."""
    if os.environ.get(name):
        return
    parameter = os.environ.get(f"{name}_PARAMETER", "")
    if parameter:
        os.environ[name] = parameter_get(parameter)


# Before base is imported: base would otherwise generate a local key into the (read-only) package.
_from_parameter("DJANGO_SECRET_KEY")
_from_parameter("DATABASE_URL")
if not os.environ.get("DJANGO_SECRET_KEY"):
    raise ImproperlyConfigured("set DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_PARAMETER")
if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("set DATABASE_URL (PostgreSQL) or DATABASE_URL_PARAMETER")
if not os.environ.get("DJANGO_ALLOWED_HOSTS"):
    raise ImproperlyConfigured("set DJANGO_ALLOWED_HOSTS (comma separated)")

from django.conf import global_settings  # noqa: E402

from console.settings import base as _base  # noqa: E402
from console.settings.base import *  # noqa: E402, F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

MIDDLEWARE = [
    _base.MIDDLEWARE[0],  # SecurityMiddleware first, then WhiteNoise, as WhiteNoise documents
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *_base.MIDDLEWARE[1:],
]
STORAGES = {
    **getattr(_base, "STORAGES", global_settings.STORAGES),
    # WhiteNoise's manifest storage, with URLs under the API Gateway stage path, gzip only and
    # no source maps (see console/static_storage.py).
    "staticfiles": {"BACKEND": "console.static_storage.PackagedStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 31536000
WHITENOISE_KEEP_ONLY_HASHED_FILES = True  # pages link hashed names only ({% static %})

# JSON log lines, as the functions write them (`ouroboros.observability.logging`).
LOGGING = {
    **_base.LOGGING,
    "formatters": {
        "json": {"()": "ouroboros.observability.logging.json_formatter", "service": "console"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
}

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = False  # API Gateway terminates TLS; it only speaks HTTPS to clients
# ... so the deploy check's advice to redirect HTTP to HTTPS (W008) does not apply: API Gateway
# has no plain-HTTP listener to redirect from. Everything else of `check --deploy` must pass.
SILENCED_SYSTEM_CHECKS = ["security.W008"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Cookies bound to this exact host over HTTPS only (the __Host- prefix makes browsers enforce it).
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_COOKIE_HTTPONLY = True
