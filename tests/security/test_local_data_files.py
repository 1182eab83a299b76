"""The local runtime's data files are owner-only (issue 17: ``.local/console.sqlite3`` was
world-readable): the folder 0700, every file in it 0600, whoever creates them.

Two real paths create them: ``manage.py`` with the local settings (the console's database and
secret key, before the runtime starts: ``runlocal`` migrates first) and the runtime itself
(endpoints, lock, DynamoDB Local's folder, the local Security Hub, the notifications record).
Both run under the usual 022 umask, so a file is owner-only only because the code made it so.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.runtime import LocalRuntime
from ouroboros.notify.delivery import notification_deliver

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes(folder: Path) -> dict[str, int]:
    """The permission bits of ``folder``'s entries, by name (symlinks left out)."""
    return {entry.name: mode(entry) for entry in folder.iterdir() if not entry.is_symlink()}


def test_manage_py_creates_the_console_database_and_key_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "AWS_ENDPOINT_URL"))
    }
    environ.update(
        DJANGO_SETTINGS_MODULE="console.settings.local",
        OUROBOROS_DATA_DIR=str(data),
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=240,
        umask=0o022,
    )
    assert result.returncode == 0, result.stderr
    assert mode(data) == 0o700
    assert (data / "console.sqlite3").stat().st_size > 0  # migrated, so SQLite opened it
    assert modes(data) == {"console.sqlite3": 0o600, "django-secret-key": 0o600}


@pytest.mark.integration
def test_the_runtime_keeps_its_data_folder_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    old = data / "console.sqlite3"  # made world-readable by an earlier version
    old.write_text("")
    old.chmod(0o644)
    (data / "dynamodb").mkdir(mode=0o755)
    before = os.umask(0o022)
    try:
        runtime = LocalRuntime(data_dir=data)
        runtime.start()
        try:
            notification_deliver(message={"execution_id": "e-1", "status": "succeeded"})
            created = modes(data)
        finally:
            runtime.stop()
        assert os.umask(0o022) == 0o022  # the runtime gave the process its umask back
    finally:
        os.umask(before)
    assert mode(data) == 0o700
    assert {"console.sqlite3", "endpoints.json", "runtime.lock"} <= set(created)
    files = {name: bits for name, bits in created.items() if not (data / name).is_dir()}
    folders = {name: bits for name, bits in created.items() if (data / name).is_dir()}
    assert set(files.values()) == {0o600}, files
    assert "dynamodb" in folders and set(folders.values()) == {0o700}, folders
    inner = [path for path in (data / "dynamodb").rglob("*") if path.is_file()]
    assert inner and {mode(path) & 0o077 for path in inner} == {0}  # DynamoDB Local's files
