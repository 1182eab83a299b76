"""A console database made before the per-resource apps migrates, and its rows stay readable.

``migration_data/console-f2e2880.sqlite3`` was created by ``manage.py migrate`` on commit f2e2880
(``ApiToken`` still in ``console.api``): user ``alice``, her API token ``ci`` (prefix
``0123456789ab``) and two audit entries (``reactor.install`` on ``s3-public-read``,
``control.update`` on ``S3.2``). A copy is migrated with today's code by ``manage.py`` in a
subprocess (the way an operator upgrades), then read back through today's models:
``console.tokens.models.ApiToken`` (table ``api_apitoken`` kept by ``db_table``), the audit trail,
and the reactors' proxy of it. ``makemigrations --check`` proves the models and the migrations
agree, so nothing is left for a later migration to "fix".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FROM_MAIN = Path(__file__).parent / "migration_data" / "console-f2e2880.sqlite3"
#: Reads the migrated database through today's models; prints one JSON line.
READ_BACK = """
import json
from django.contrib.contenttypes.models import ContentType
from console.audit.models import AuditEntry
from console.reactors.models import REACTOR_TARGET_TYPES, AuditEvent
from console.tokens.models import ApiToken

token = ApiToken.objects.select_related("user").get()
print(json.dumps({
    "token": [token.name, token.prefix, token.scope, token.revoked_at, token.user.get_username()],
    "token_content_type": [ContentType.objects.get_for_model(ApiToken).pk,
                           list(ContentType.objects.filter(model="apitoken")
                                .values_list("app_label", flat=True))],
    "audit": sorted([e.action, e.target_type, e.target_id] for e in AuditEntry.objects.all()),
    "reactor_changes": [[e.action, e.target_id] for e in
                        AuditEvent.objects.filter(target_type__in=REACTOR_TARGET_TYPES)],
}))
"""


def manage(*args: str, database: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """``python manage.py *args`` against ``database`` with the local settings."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "console.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
        "OUROBOROS_DATA_DIR": str(data_dir),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_a_database_of_main_migrates_and_its_rows_read_through_the_new_models(
    tmp_path: Path,
) -> None:
    database = tmp_path / "console.sqlite3"
    shutil.copyfile(FROM_MAIN, database)
    data_dir = tmp_path / "data"
    data_dir.mkdir()

    migrated = manage("migrate", "--no-input", database=database, data_dir=data_dir)
    assert migrated.returncode == 0, migrated.stderr
    # The copy really is main's: only the migrations of the move were left to apply.
    assert "Applying tokens.0001_initial... OK" in migrated.stdout
    assert "Applying api.0002_apitoken_moved_to_tokens... OK" in migrated.stdout
    assert "Applying audit.0001_initial" not in migrated.stdout

    read = manage("shell", "-c", READ_BACK, database=database, data_dir=data_dir)
    assert read.returncode == 0, read.stderr
    rows = json.loads(read.stdout.strip().splitlines()[-1])
    assert rows["token"] == ["ci", "0123456789ab", "write", None, "alice"]
    # Same content type row (id 8 on main), relabelled: permissions granted on it still apply.
    assert rows["token_content_type"] == [8, ["tokens"]]
    assert rows["audit"] == [
        ["control.update", "control", "S3.2"],
        ["reactor.install", "reactor", "s3-public-read"],
    ]
    assert rows["reactor_changes"] == [["reactor.install", "s3-public-read"]]

    check = manage("makemigrations", "--check", "--dry-run", database=database, data_dir=data_dir)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No changes detected" in check.stdout
