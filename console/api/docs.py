"""The interactive API docs (Swagger UI) at /api/docs/, under the console's CSP.

The assets come from the ``drf-spectacular-sidecar`` package (static files, no CDN). The split
view serves the init script as a separate file (``/api/docs/?script=``) and our template drops
the inline ``<style>`` of drf-spectacular's, so the page needs neither inline script nor style.
"""

from __future__ import annotations

from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI under ``script-src 'self'; style-src 'self'``."""

    url_name = "api-schema"
    template_name = "api/swagger_ui.html"
    title = "Ouroboros API"
