"""Settings for the test suite: in-memory SQLite, fast password hashing, rate limits counted in
this process (most API tests run without DynamoDB; tests/console/api/test_throttle_shared.py
counts in DynamoDB, as deployments do)."""

from console.settings.base import *  # noqa: F403

DEBUG = False
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
OUROBOROS_API_RATE_STORE = "cache"
