"""Console routes of the API token pages (included under /tokens/)."""

from django.urls import path

from console.tokens import views

urlpatterns = [
    path("", views.token_list, name="api-token-pages"),
    path("create", views.token_create, name="api-token-page-create"),
    path("<int:token_id>/revoke", views.token_revoke, name="api-token-page-revoke"),
]
