"""``python manage.py upgrade --role consumer|hub [--to VERSION] | --rollback | --status``.

Deploys this checkout as a new version of one side (bootstrap, Zappa packages and deploys, Django
migrations, the packages kept) and records it; ``--rollback`` puts the previous version's code
and configuration back from the kept packages; ``--status`` prints the record. Logic:
`deploy.upgrade` (why and what is not rolled back) and `deploy.releases` (where releases live).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from deploy.report import reports_summary
from deploy.runtime_env import project_root
from deploy.upgrade import (
    ZappaToolchain,
    deployed_version,
    rollback_run,
    upgrade_run,
    version_default,
)
from ouroboros.errors import OuroborosError


class Command(BaseCommand):
    help = "Deploy a new version that can be rolled back, or roll back to the previous one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", choices=["consumer", "hub"], required=True)
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--to",
            dest="version",
            default=None,
            help="the version label of this checkout (default: <version>+g<commit>)",
        )
        action.add_argument("--rollback", action="store_true", help="put the previous version back")
        action.add_argument("--status", action="store_true", help="print the deployed version")
        parser.add_argument("--region", default=None, help="default: AWS_REGION")
        parser.add_argument(
            "--include-planned",
            action="store_true",
            help="also the functions whose handlers have not landed yet (rehearsals)",
        )
        parser.add_argument(
            "--zappa-settings",  # not --settings: Django's own option (the settings module)
            dest="zappa_settings",
            type=Path,
            default=project_root() / "zappa_settings.json",
            help="the Zappa settings (default: zappa_settings.json)",
        )
        parser.add_argument(
            "--build-dir", type=Path, default=project_root() / "build", help="where zips go"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        role, settings = options["role"], options["zappa_settings"]
        try:
            if options["status"]:
                record = deployed_version(role, region=options["region"], settings_path=settings)
                for name, value in (record or {"version": "none recorded"}).items():
                    self.stdout.write(f"{name}: {'none' if value is None else value}")
                return
            if options["rollback"]:
                reports = rollback_run(
                    role,
                    region=options["region"],
                    include_planned=options["include_planned"],
                    settings_path=settings,
                )
            else:
                reports = upgrade_run(
                    role,
                    version=options["version"] or version_default(),
                    toolchain=ZappaToolchain(options["build_dir"], settings),
                    region=options["region"],
                    include_planned=options["include_planned"],
                    settings_path=settings,
                )
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        except (ClientError, BotoCoreError) as exc:  # e.g. credentials lacking a permission
            raise CommandError(f"AWS refused: {exc}") from exc
        for report in reports:
            self.stdout.write(report.line())
        self.stdout.write(reports_summary(reports))
