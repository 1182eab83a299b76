"""App config of console.api."""

from django.apps import AppConfig
from django.conf import settings


class ApiConfig(AppConfig):
    name = "console.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # Registers the OpenAPI description of the bearer-token authentication.
        from console.api import schema  # noqa: F401
        from ouroboros.pagination import cursor_key_configure

        # The core signs page cursors with a key derived from SECRET_KEY (it never imports Django).
        cursor_key_configure(settings.OUROBOROS_CURSOR_SIGNING_KEY)
