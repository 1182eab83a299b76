"""App config of console.reactors."""

from django.apps import AppConfig


class ReactorsConfig(AppConfig):
    name = "console.reactors"
    label = "reactors"
    verbose_name = "Reactors"
