"""App config of console.executions."""

from django.apps import AppConfig


class ExecutionsConfig(AppConfig):
    name = "console.executions"
    label = "executions"
