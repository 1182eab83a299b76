"""URL routes of the Hub catalog pages, under /reactors/ in the ``reactors`` URL namespace
(``reactors:hub``, ``reactors:detail``) next to the installed reactors' routes (console/urls.py).
"""

from django.urls import URLPattern, path

from console.hub import views

urlpatterns: list[URLPattern] = [
    path("", views.hub_catalog, name="hub"),
    path("hub/<str:reactor_id>/", views.hub_reactor_detail, name="detail"),
]
