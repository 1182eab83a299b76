"""``python manage.py member_role_template [--account CONSUMER_ID]``: the member role's template.

Prints the CloudFormation template (JSON) of the remediation role to deploy in member accounts,
with the permissions of the reactors installed now (`deploy.member_role`). Re-run it and
update the stack (or StackSet) after installing a reactor.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deploy.member_role import (
    installed_manifests,
    member_role_template,
    member_role_template_json,
)
from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.errors import OuroborosError
from ouroboros.reactors.names import reactor_function_prefix


class Command(BaseCommand):
    help = "Print the CloudFormation template of the member-account remediation role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", help="consumer account id (default: the caller's)")

    def handle(self, *args: Any, **options: Any) -> None:
        config = get_config()
        try:
            account = options["account"] or client("sts").get_caller_identity()["Account"]
            template = member_role_template(
                consumer_account=account,
                manifests=installed_manifests(),
                role_name=config.member_role_name,
                reactor_role_prefix=reactor_function_prefix(config.stage),
            )
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(member_role_template_json(template), ending="")
