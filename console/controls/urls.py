"""URL routes of the controls pages."""

from django.urls import path

from console.controls import views

urlpatterns = [
    path("", views.control_list_view, name="control_list"),
    path("<str:control_id>/", views.control_detail_view, name="control_detail"),
    path("<str:control_id>/configure/", views.control_configure_view, name="control_configure"),
    path("<str:control_id>/exemptions/", views.exemption_add_view, name="control_exemption_add"),
    path(
        "<str:control_id>/exemptions/<str:exemption_id>/remove/",
        views.exemption_remove_view,
        name="control_exemption_remove",
    ),
]
