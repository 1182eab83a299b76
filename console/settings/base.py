"""Settings shared by every environment; everything that varies is read from the environment here.

- ``DJANGO_SECRET_KEY``: required in production; locally a key is generated once into the data
  folder so sessions survive restarts.
- ``DATABASE_URL``: Django's own tables (users, groups, tokens, sessions, audit). SQLite in the
  data folder by default; PostgreSQL in production. The security data itself lives in DynamoDB.
- ``DJANGO_ALLOWED_HOSTS``: comma separated.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from ouroboros.config import get_config

BASE_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = get_config().data_dir


def _local_secret_key() -> str:
    path = DATA_DIR / "django-secret-key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _local_secret_key()
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
#: "Remediate now" on a finding's page (operators): rendered only when this is True AND the URL
#: named ``workflow:remediate`` exists (`console.findings` registers it; POST field ``dry_run``);
#: otherwise the form is not rendered at all.
CONSOLE_REMEDIATE_ENABLED = True
