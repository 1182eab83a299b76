"""App config of console.audit."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "console.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from console.audit.signals import signals_connect

        signals_connect()
