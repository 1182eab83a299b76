"""``python manage.py zappa_settings [--stage S --region R --bucket B] [--write]``.

Prints (or writes to ``zappa_settings.json``) the Zappa settings generated from the function
list (`deploy.zappa_settings`). The committed file is the default output.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from deploy.runtime_env import project_root
from deploy.zappa_settings import (
    SETTINGS_FILE,
    zappa_settings_build,
    zappa_settings_write,
)


class Command(BaseCommand):
    help = "Generate zappa_settings.json from the function list."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--stage", default="prod", help="OUROBOROS_STAGE of the deployment")
        parser.add_argument("--region", default="us-east-1")
        parser.add_argument("--bucket", default="", help="S3 bucket Zappa uploads packages to")
        parser.add_argument("--write", action="store_true", help=f"write {SETTINGS_FILE}")

    def handle(self, *args: Any, **options: Any) -> None:
        settings = zappa_settings_build(
            stage=options["stage"], region=options["region"], bucket=options["bucket"]
        )
        if options["write"]:
            path = zappa_settings_write(settings, project_root() / SETTINGS_FILE)
            self.stdout.write(f"wrote {path}")
            return
        self.stdout.write(json.dumps(settings, indent=2, sort_keys=True))
