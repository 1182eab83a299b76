"""Settings for the local runtime (`make run`): served on 127.0.0.1 only, DEBUG off.

DEBUG is off as on AWS, so an unknown page or an error shows the console's styled 404 / 500,
never Django's debug pages (which also print settings). Static files are then not served by
``runserver`` (it serves them only with DEBUG): WhiteNoise serves them, as in production, but
straight from the apps' ``static`` folders through the staticfiles finders (no
``collectstatic``) and re-read on change (``WHITENOISE_AUTOREFRESH``), WhiteNoise's documented
development mode.

The console's SQLite database in the data folder (the default without ``DATABASE_URL``) is
owner-only: the folder 0700 and the database 0600, created so before SQLite opens it (SQLite
gives its journal files the database's permissions). The local runtime keeps the rest of the
folder owner-only (`emulator.runtime`).
"""

import os
from pathlib import Path

from console.settings.base import *  # noqa: F403
from console.settings.base import DATA_DIR, DATABASES, MIDDLEWARE

DEBUG = False
MIDDLEWARE = [
    MIDDLEWARE[0],  # SecurityMiddleware first, then WhiteNoise, as WhiteNoise documents
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[1:],
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True


def _database_owner_only(name: object) -> None:
    """Create the SQLite file ``name`` of the data folder 0600 (empty is a valid database)."""
    if not isinstance(name, str | Path) or Path(name).parent != DATA_DIR:
        return
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    DATA_DIR.chmod(0o700)
    os.close(os.open(name, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(name, 0o600)


if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _database_owner_only(DATABASES["default"]["NAME"])
