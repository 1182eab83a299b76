"""App config of console.controls."""

from django.apps import AppConfig


class ControlsConfig(AppConfig):
    name = "console.controls"
    label = "controls"
