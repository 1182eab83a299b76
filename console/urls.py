"""URL routes of the console."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from console.dashboard import views as dashboard

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("console.api.urls")),
    path("tokens/", include("console.api.page_urls")),
    path("audit/", include("console.audit.urls")),
    path("reactors/", include("console.reactors.urls")),
    path("findings/", include("console.findings.urls")),
    path("controls/", include("console.controls.urls")),
    path("executions/", include("console.executions.urls")),
    path("", include("console.workflow.urls")),
]
