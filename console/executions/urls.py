"""URL routes of the executions pages."""

from django.urls import path

from console.executions import views

urlpatterns = [
    path("", views.execution_list_view, name="execution_list"),
    path("<str:execution_id>/", views.execution_detail_view, name="execution_detail"),
]
