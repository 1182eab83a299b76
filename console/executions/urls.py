"""URL routes of the executions pages.

``urlpatterns`` is included under /executions/. ``workflow_urlpatterns`` holds the rollback
action and the notifications page, routed from the root in the ``workflow`` URL namespace
(``workflow:rollback``, ``workflow:notifications``, see console/urls.py).
"""

from django.urls import URLPattern, path

from console.executions import views

urlpatterns: list[URLPattern] = [
    path("", views.execution_list_view, name="execution_list"),
    path("<str:execution_id>/", views.execution_detail_view, name="execution_detail"),
]

workflow_urlpatterns: list[URLPattern] = [
    path(
        "executions/<path:execution_id>/rollback/",
        views.execution_rollback_view,
        name="rollback",
    ),
    path("notifications/", views.notification_list_view, name="notifications"),
]
