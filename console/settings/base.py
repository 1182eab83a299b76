"""Settings shared by every environment; everything that varies is read from the environment here.

- ``DJANGO_SECRET_KEY``: required in production; locally a key is generated once into the data
  folder so sessions survive restarts.
- ``DATABASE_URL``: Django's own tables (users, groups, tokens, sessions, audit). SQLite in the
  data folder by default; PostgreSQL in production. The security data itself lives in DynamoDB.
- ``DJANGO_ALLOWED_HOSTS``: comma separated.
- ``OUROBOROS_LOGIN_FAILURE_LIMIT`` (``5``) and ``OUROBOROS_LOGIN_COOLOFF_MINUTES`` (``15``): failed
  logins of one username from one address before both are locked out, and for how long.
- ``OUROBOROS_SESSION_IDLE_MINUTES`` (``30``): a console session unused that long is logged out.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

from ouroboros.config import get_config

BASE_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = get_config().data_dir


def _whole_number(name: str, value: str) -> int:
    """The environment's ``name=value`` as a whole number >= 1 (``ImproperlyConfigured`` if not)."""
    if not value.isdigit() or int(value) < 1:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number >= 1")
    return int(value)


def _local_secret_key() -> str:
    path = DATA_DIR / "django-secret-key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only
    except FileExistsError:  # another process created it meanwhile
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _local_secret_key()


def _cursor_signing_key(secret_key: str) -> bytes:
    """The key of page cursors: HKDF-SHA256 of the secret key, for that purpose only."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ouroboros.cursor.v1")
    return hkdf.derive(secret_key.encode())


#: Signs the core's page cursors (`ouroboros.pagination`); `console.api.apps` hands it over.
OUROBOROS_CURSOR_SIGNING_KEY = _cursor_signing_key(SECRET_KEY)
DEBUG = False
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "console.access",
    "console.dashboard",
    "console.jobs",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "console.audit",
    "console.api",
    "console.tokens",
    "console.hub",
    "console.reactors",
    "console.findings",
    "console.controls",
    "console.executions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "console.access.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "console.audit.middleware.RequestIdMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "console.urls"
WSGI_APPLICATION = "console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "console" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "console.access.context.role",
            ],
            # ``{{ value|utc }}`` everywhere: the console's one time format (UTC).
            "builtins": ["console.findings.templatetags.console_time"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'console.sqlite3'}", conn_max_age=60
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "console" / "static"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Login throttling (django-axes) ---------------------------------------------------------
# Every login (the console's and the admin's) goes through axes' backend first: after
# AXES_FAILURE_LIMIT failures of one username from one address, that pair is refused (HTTP 429,
# the lockout page) until AXES_COOLOFF_TIME has passed with no new failure; a success resets the
# count. The address is REMOTE_ADDR, as for the API's rate limits (``NUM_PROXIES = 0``): API
# Gateway sets it from the TCP peer, while X-Forwarded-For is whatever the client sent. Admins
# see and delete the attempts in the admin ("Axes"), or run ``manage.py axes_reset_username``.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = _whole_number(
    "OUROBOROS_LOGIN_FAILURE_LIMIT", os.environ.get("OUROBOROS_LOGIN_FAILURE_LIMIT", "5")
)
AXES_COOLOFF_TIME = timedelta(
    minutes=_whole_number(
        "OUROBOROS_LOGIN_COOLOFF_MINUTES", os.environ.get("OUROBOROS_LOGIN_COOLOFF_MINUTES", "15")
    )
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_IPWARE_PROXY_COUNT = None

# --- Sessions: an idle timeout, renewed by every request ------------------------------------
SESSION_COOKIE_AGE = 60 * _whole_number(
    "OUROBOROS_SESSION_IDLE_MINUTES", os.environ.get("OUROBOROS_SESSION_IDLE_MINUTES", "30")
)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

#: Content-Security-Policy sent with every response (console.access.middleware).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("OUROBOROS_LOG_LEVEL", "INFO")},
    "loggers": {"botocore": {"level": "WARNING"}, "pynamodb": {"level": "WARNING"}},
}

# --- REST API (console.api): DRF, OpenAPI, per-caller rate limits ---------------------------
# Rates: "<n>/<second|minute|hour|day>"; token: per API token, user: per session user, anon: per
# client address.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "console.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["console.api.permissions.RoleAndScope"],
    "DEFAULT_THROTTLE_CLASSES": [
        "console.api.throttling.TokenRateThrottle",
        "console.api.throttling.SessionRateThrottle",
        "console.api.throttling.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("OUROBOROS_API_RATE_TOKEN", "600/minute"),
        "user": os.environ.get("OUROBOROS_API_RATE_USER", "600/minute"),
        "anon": os.environ.get("OUROBOROS_API_RATE_ANON", "60/minute"),
    },
    "NUM_PROXIES": 0,  # the client address is REMOTE_ADDR, never a spoofable X-Forwarded-For
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "console.api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "console.api.problems.problem_exception_handler",
}
#: Where the rate limits count (`console.api.rate_store`): ``dynamodb``, the ``api_rate_limits``
#: table every console instance shares; ``cache``, Django's cache (this process only: tests).
OUROBOROS_API_RATE_STORE = "dynamodb"
SPECTACULAR_SETTINGS = {
    "TITLE": "Ouroboros API",
    "DESCRIPTION": (
        "Security Hub findings, controls, reactors and executions for automation. "
        "Authenticate with `Authorization: Bearer <token>`; errors are RFC 7807 problem details."
    ),
    "VERSION": "1",
    "DEFAULT_GENERATOR_CLASS": "console.api.schema.OperationSchemaGenerator",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["console.api.permissions.RoleAndScope"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApiTokenScopeEnum": "console.tokens.models.ApiToken.Scope",
        "ApiTokenStatusEnum": ["active", "expired", "revoked"],
        # A finding's workflow status: the list's filter and the bulk action's status.
        "WorkflowStatusEnum": "ouroboros.findings.plan.WORKFLOW_STATUSES",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

#: The Hub's bucket of reactor artifacts (django-storages S3; ``OUROBOROS_HUB_BUCKET``). Endpoint
#: and credentials come from the standard AWS variables (the local runtime's moto server locally).
HUB_STORAGE = {
    "BACKEND": "storages.backends.s3.S3Storage",
    "OPTIONS": {
        "bucket_name": get_config().hub_bucket,
        "file_overwrite": True,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,
    },
}
#: Where findings exports go (`console.jobs.exports`): the S3 bucket ``OUROBOROS_EXPORT_BUCKET``
#: (under ``exports/``, downloads by pre-signed URL) when set, else (None) the data folder's
#: ``exports/`` through the same storage API.
EXPORT_STORAGE: dict[str, Any] | None = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["OUROBOROS_EXPORT_BUCKET"],
            "location": "exports",
            # Each name is unique (time and job id): overwriting skips the existence check,
            # a HeadObject that S3 refuses (403) without s3:ListBucket, which the console lacks.
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            # SigV4 download links: S3 refuses SigV2 in regions opened since 2014.
            "signature_version": "s3v4",
        },
    }
    if os.environ.get("OUROBOROS_EXPORT_BUCKET")
    else None
)
#: How findings exports run: ``lambda`` (an asynchronous invocation of the console function,
#: Zappa's task runner), ``thread`` (locally) or ``inline`` (in the request: tests only).
EXPORT_RUNNER = os.environ.get(
    "OUROBOROS_EXPORT_RUNNER", "lambda" if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else "thread"
)
#: "Remediate now" on a finding's page (operators): rendered only when this is True AND the URL
#: named ``workflow:remediate`` exists (`console.findings` registers it; POST field ``dry_run``);
#: otherwise the form is not rendered at all.
CONSOLE_REMEDIATE_ENABLED = True
