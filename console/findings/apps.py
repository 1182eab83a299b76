"""App config of console.findings."""

from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "console.findings"
    label = "findings"
