"""``python manage.py zappa_settings [--config deploy.toml] [options] [--write [--force]]``.

Prints (or, with ``--write``, writes to ``zappa_settings.json``) the Zappa settings generated from
the function list and ``deploy.toml`` (`deploy.config_file`, `deploy.zappa_settings`). The
committed file is what the committed ``deploy.toml`` generates.

Options (``--stage``, ``--region``, ``--external-id``, ``--hub-bucket``...) override the file for
printing. ``--write`` generates from the file alone: an option that differs from it is refused
(put it in ``deploy.toml``, or the next ``--write`` would lose it), and so is dropping a key that
was added to ``zappa_settings.json`` by hand, unless ``--force``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deploy.config_file import (
    CONFIG_FILE,
    OPTION_FIELDS,
    DeployConfigError,
    deploy_config_missing,
    deploy_config_override,
    deploy_config_read,
)
from deploy.runtime_env import project_root
from deploy.zappa_settings import (
    SETTINGS_FILE,
    settings_dropped,
    zappa_settings_build,
    zappa_settings_read,
    zappa_settings_write,
)

#: Options that are lists (comma separated on the command line).
LIST_OPTIONS = {
    "trusted_origins",
    "trusted_product_arns",
    "account_scope",
    "vpc_subnet_ids",
    "vpc_security_group_ids",
}


class Command(BaseCommand):
    help = "Generate zappa_settings.json from the function list and deploy.toml."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--config",
            type=Path,
            default=project_root() / CONFIG_FILE,
            help=f"the deployment's configuration (default: {CONFIG_FILE})",
        )
        for name in OPTION_FIELDS:
            what = "comma separated" if name in LIST_OPTIONS else "overrides the file"
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None, help=what)
        parser.add_argument("--write", action="store_true", help=f"write {SETTINGS_FILE}")
        parser.add_argument(
            "--force", action="store_true", help="write even if hand-added keys are dropped"
        )
        parser.add_argument(
            "--output", type=Path, default=project_root() / SETTINGS_FILE, help="with --write"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            from_file = deploy_config_read(options["config"])
            given = {name: options[name] for name in OPTION_FIELDS}
            config = deploy_config_override(from_file, **given)
        except DeployConfigError as exc:
            raise CommandError(str(exc)) from exc
        for line in deploy_config_missing(config):
            self.stderr.write(f"warning: {options['config'].name}: {line}")
        settings = zappa_settings_build(config=config)
        if not options["write"]:
            self.stdout.write(json.dumps(settings, indent=2, sort_keys=True))
            return
        if config != from_file:
            differ = [n for n in OPTION_FIELDS if getattr(config, n) != getattr(from_file, n)]
            raise CommandError(
                f"--write generates from {options['config'].name} only: set "
                f"{', '.join(differ)} there (an option would be lost by the next --write)"
            )
        path: Path = options["output"]
        if path.is_file() and not options["force"]:
            dropped = settings_dropped(zappa_settings_read(path), settings)
            if dropped:
                raise CommandError(
                    f"{path.name} has keys {options['config'].name} does not generate: "
                    f"{', '.join(dropped)}. Put them in {options['config'].name} (or pass "
                    "--force to drop them)"
                )
        zappa_settings_write(settings, path)
        self.stdout.write(f"wrote {path}")
