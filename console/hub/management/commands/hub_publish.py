"""``python manage.py hub_publish PATH... [--official] [--skip-existing] [--as USER]``.

Publishes reactor artifacts to the Hub: uploads each to the Hub's S3 bucket (django-storages)
and records it as a pending version; the ``security_reactors`` stream then verifies it. ``PATH``
is an artifact built by ``reactor_build`` (``.zip``) or a reactor package folder (built first);
``--official`` publishes every package of the official catalog (``lambdas/reactors``);
``--if-empty`` does nothing when the Hub already lists a reactor (the local runtime's first start
seeds the catalog with it).
"""

from __future__ import annotations

import getpass
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.hub.services import hub_artifact_publish
from ouroboros.errors import ConflictError, OuroborosError
from ouroboros.reactors.catalog import hub_catalog_list
from ouroboros.reactors.packaging import Artifact, artifact_load, reactor_build

OFFICIAL = Path(settings.BASE_DIR) / "lambdas" / "reactors"


def official_packages() -> list[Path]:
    """The official catalog's reactor package folders."""
    return sorted(p for p in OFFICIAL.iterdir() if (p / "reactor.py").is_file())


class Command(BaseCommand):
    help = "Upload reactor artifacts to the Hub's bucket and record them (pending verification)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="artifact .zip or package folder")
        parser.add_argument("--official", action="store_true", help="every official reactor")
        parser.add_argument(
            "--skip-existing", action="store_true", help="versions already published are fine"
        )
        parser.add_argument("--as", dest="actor", default=None, help="publisher name to record")
        parser.add_argument(
            "--if-empty", action="store_true", help="only when the Hub has no reactor yet"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[Path] = list(options["paths"]) + (
            official_packages() if options["official"] else []
        )
        if not paths:
            raise CommandError("give artifact paths or package folders, or --official")
        if options["if_empty"] and hub_catalog_list(limit=1).items:
            self.stdout.write("the Hub already lists reactors; nothing published")
            return
        actor = options["actor"] or f"cli:{getpass.getuser()}"
        failed = 0
        with tempfile.TemporaryDirectory(prefix="ouroboros-publish-") as tmp:
            for path in paths:
                try:
                    artifact = self._artifact(path, Path(tmp))
                    item = hub_artifact_publish(artifact=artifact, actor=actor)
                except ConflictError as exc:
                    if not options["skip_existing"]:
                        failed += 1
                    self.stdout.write(f"skipped  {path}: {exc}")
                    continue
                except OuroborosError as exc:
                    failed += 1
                    self.stderr.write(f"failed   {path}: {exc}")
                    continue
                self.stdout.write(
                    f"published {item.reactor_id} {item.version} ({item.sha256}), "
                    "pending verification"
                )
        if failed:
            raise CommandError(f"{failed} of {len(paths)} not published")

    @staticmethod
    def _artifact(path: Path, tmp: Path) -> Artifact:
        if path.is_dir():
            return reactor_build(source=path, out_dir=tmp / path.name)
        return artifact_load(path)
