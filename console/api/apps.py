"""App config of console.api."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "console.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # Registers the OpenAPI description of the bearer-token authentication.
        from console.api import schema  # noqa: F401
