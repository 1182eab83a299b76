"""App config of console.workflow."""

from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "console.workflow"
    label = "workflow"
    verbose_name = "Remediation workflow"
