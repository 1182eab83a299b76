"""URL routes of the reactor pages (under ``/reactors/``)."""

from django.urls import path

from console.reactors import views

app_name = "reactors"

urlpatterns = [
    path("", views.hub_catalog, name="hub"),
    path("hub/<str:reactor_id>/", views.hub_reactor_detail, name="detail"),
    path("hub/<str:reactor_id>/install/", views.reactor_install_view, name="install"),
    path("installed/", views.reactors_installed, name="installed"),
    path("installed/<str:reactor_id>/upgrade/", views.reactor_upgrade_view, name="upgrade"),
    path("installed/<str:reactor_id>/uninstall/", views.reactor_uninstall_view, name="uninstall"),
]
