"""App config of console.hub."""

from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "console.hub"
    label = "hub"
    verbose_name = "Reactor Hub"
