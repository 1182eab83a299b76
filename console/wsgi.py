"""WSGI entry point (Zappa and any WSGI server)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings.production")
application = get_wsgi_application()
