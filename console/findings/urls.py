"""URL routes of the findings pages (the finding id, an ARN, travels in the query: ``?id=``)."""

from django.urls import path

from console.findings import views

urlpatterns = [
    path("", views.finding_list_view, name="finding_list"),
    path("detail/", views.finding_detail_view, name="finding_detail"),
]
