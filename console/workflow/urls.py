"""URL routes of the workflow at the root: /findings/..., /executions/..., /notifications/."""

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
    path("notifications/", views.notification_list_view, name="notifications"),
]
