"""URL routes of the installed reactors' pages and actions, under /reactors/ in the ``reactors``
URL namespace, next to the Hub catalog's routes (console/urls.py).
"""

from django.urls import URLPattern, path

from console.reactors import coverage, views

urlpatterns: list[URLPattern] = [
    path("hub/<str:reactor_id>/install/", views.reactor_install_view, name="install"),
    path("installed/", views.reactors_installed, name="installed"),
    path("coverage/", coverage.reactors_coverage, name="coverage"),
    path("installed/<str:reactor_id>/upgrade/", views.reactor_upgrade_view, name="upgrade"),
    path("installed/<str:reactor_id>/uninstall/", views.reactor_uninstall_view, name="uninstall"),
]
