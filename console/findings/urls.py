"""URL routes of the findings pages (the finding id, an ARN, travels in the query: ``?id=``).

``urlpatterns`` is included under /findings/. ``workflow_urlpatterns`` holds the "Remediate now"
action, routed from the root in the ``workflow`` URL namespace (``workflow:remediate``, see
console/urls.py); its finding id travels in the path.
"""

from django.urls import URLPattern, path

from console.findings import views

urlpatterns: list[URLPattern] = [
    path("", views.finding_list_view, name="finding_list"),
    path("detail/", views.finding_detail_view, name="finding_detail"),
]

workflow_urlpatterns: list[URLPattern] = [
    path("findings/<path:finding_id>/remediate/", views.finding_remediate_view, name="remediate"),
]
