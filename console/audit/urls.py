"""Console route of the audit page (included under /audit/)."""

from django.urls import path

from console.audit import views

urlpatterns = [path("", views.audit_page, name="audit")]
