"""URL routes of the findings pages (the finding id, an ARN, travels in the query: ``?id=``).

``urlpatterns`` is included under /findings/. ``workflow_urlpatterns`` holds the "Remediate now"
action, routed from the root in the ``workflow`` URL namespace (``workflow:remediate``, see
console/urls.py); its finding id travels in the path.
"""

from django.urls import URLPattern, path

from console.findings import bulk_views, views
from console.jobs import views as export_views

urlpatterns: list[URLPattern] = [
    path("", views.finding_list_view, name="finding_list"),
    path("detail/", views.finding_detail_view, name="finding_detail"),
    path("bulk/", bulk_views.finding_bulk_view, name="finding_bulk"),
    path("bulk/<int:entry_id>/", bulk_views.finding_bulk_summary_view, name="finding_bulk_summary"),
    path("exports/", export_views.export_create_view, name="finding_export"),
    path("exports/<uuid:job_id>/", export_views.export_detail_view, name="finding_export_detail"),
    path(
        "exports/<uuid:job_id>/download/",
        export_views.export_download_view,
        name="finding_export_download",
    ),
]

workflow_urlpatterns: list[URLPattern] = [
    path("findings/<path:finding_id>/remediate/", views.finding_remediate_view, name="remediate"),
]
