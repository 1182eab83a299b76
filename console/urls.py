"""URL routes of the console.

Two URL namespaces span two apps each, so they are put together here: ``reactors`` (under
/reactors/: the Hub catalog pages of `console.hub` and the installed reactors' routes of
`console.reactors`) and ``workflow`` (at the root: "Remediate now" of `console.findings`, the
rollback and the notifications page of `console.executions`).
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from console.dashboard import views as dashboard
from console.executions import urls as executions
from console.findings import urls as findings
from console.hub import urls as hub
from console.reactors import urls as reactors

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("console.api.urls")),
    path("tokens/", include("console.tokens.urls")),
    path("audit/", include("console.audit.urls")),
    path("reactors/", include(([*hub.urlpatterns, *reactors.urlpatterns], "reactors"))),
    path("findings/", include("console.findings.urls")),
    path("controls/", include("console.controls.urls")),
    path("executions/", include("console.executions.urls")),
    path(
        "",
        include(([*findings.workflow_urlpatterns, *executions.workflow_urlpatterns], "workflow")),
    ),
]
