"""``python manage.py admin_ensure --password-parameter NAME [--username U] [--email E]``.

The first (or a locked-out) administrator in production, where no one can type a password into
``createsuperuser``: the password comes from an SSM SecureString parameter (under
``/ouroboros/<stage>/``, which the console may read), is never echoed, and a second run with the
same parameter changes nothing. On Lambda::

    zappa manage console "admin_ensure --password-parameter /ouroboros/prod/admin-password"

Logic: `console.access.admins`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.access.admins import admin_ensure, admin_password_read
from ouroboros.errors import OuroborosError


class Command(BaseCommand):
    help = "Create or repair the administrator, with the password of an SSM parameter."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password-parameter",
            required=True,
            help="SSM SecureString parameter holding the password (never the password itself)",
        )
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            password = admin_password_read(options["password_parameter"])
            result = admin_ensure(
                username=options["username"], email=options["email"], password=password
            )
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        detail = f" ({', '.join(result.changes)})" if result.changes else ""
        self.stdout.write(f"{result.action} administrator {result.username}{detail}")
