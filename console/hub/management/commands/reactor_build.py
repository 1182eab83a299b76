"""``python manage.py reactor_build PATH [--out DIR]``: build a reactor's deterministic artifact.

Prints the zip, its manifest beside it and its sha256; the same source always gives the same
bytes. ``PATH`` is a reactor package folder (e.g. ``lambdas/reactors/s3_public_read``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ouroboros.errors import OuroborosError
from ouroboros.reactors.packaging import reactor_build


class Command(BaseCommand):
    help = "Build the deterministic artifact (zip + manifest) of a reactor package."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="reactor package folder")
        parser.add_argument("--out", type=Path, default=Path("dist/reactors"), help="output folder")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            artifact = reactor_build(source=options["path"], out_dir=options["out"])
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        manifest = artifact.manifest
        self.stdout.write(
            f"{manifest['id']} {manifest['version']}\n"
            f"  artifact: {artifact.path} ({artifact.size} bytes)\n"
            f"  manifest: {artifact.manifest_path}\n"
            f"  sha256:   {artifact.sha256}"
        )
