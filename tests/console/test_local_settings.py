"""The local runtime's settings (`make run`): styled error pages as on AWS, static files served."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Run in a child process: the test process's Django is configured with the test settings.
PROBE = """
import json

import django
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment

django.setup()
setup_test_environment()
call_command("migrate", verbosity=0)
missing = Client().get("/no-such-page/")
static = Client().get("/static/console/console.css")
print(json.dumps({
    "status": missing.status_code,
    "page": missing.content.decode(),
    "static": static.status_code,
}))
"""


def test_local_settings_show_the_styled_404_and_still_serve_static_files(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "console.settings.local",
        "OUROBOROS_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'console.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["status"] == 404
    assert 'id="error-404"' in seen["page"]
    assert "URLconf" not in seen["page"] and "DEBUG = True" not in seen["page"]
    assert seen["static"] == 200, "WhiteNoise serves the apps' static files without DEBUG"
