"""Console routes of the API token pages (included under /tokens/)."""

from django.urls import path

from console.api import pages

urlpatterns = [
    path("", pages.token_list, name="api-token-pages"),
    path("create", pages.token_create, name="api-token-page-create"),
    path("<int:token_id>/revoke", pages.token_revoke, name="api-token-page-revoke"),
]
