"""Production settings (Lambda behind API Gateway): secure cookies, HSTS, secrets from the env.

The full production profile (static files, SSM parameters) grows with the deploy capability.
"""

import os

from console.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = False  # API Gateway terminates TLS; it only speaks HTTPS to clients
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Cookies bound to this exact host over HTTPS only (the __Host- prefix makes browsers enforce it).
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_COOKIE_HTTPONLY = True
