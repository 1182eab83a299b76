"""URL routes of the workflow actions, included at the root (/findings/..., /executions/...)."""

from django.urls import path

from console.workflow import views

app_name = "workflow"

urlpatterns = [
    path("findings/<path:finding_id>/remediate/", views.finding_remediate, name="remediate"),
    path(
        "executions/<path:execution_id>/rollback/",
        views.execution_rollback_view,
        name="rollback",
    ),
]
