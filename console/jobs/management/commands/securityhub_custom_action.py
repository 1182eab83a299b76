"""``python manage.py securityhub_custom_action FINDING_ID...``: "Fix with Ouroboros" locally.

Does what choosing the custom action on findings in the Security Hub console does: the local
Security Hub sends one "Security Hub Findings - Custom Action" event for them, and the custom
action's rule starts the remediation state machine (`emulator.securityhub_custom_action`).
Needs the local runtime (`make run`) running for this data folder.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from emulator.securityhub_custom_action import (
    CustomAction,
    custom_action_invoke,
    local_custom_action,
)
from emulator.securityhub_import import local_securityhub_endpoint
from ouroboros.errors import OuroborosError


class Command(BaseCommand):
    help = "Invoke the Security Hub custom action 'Fix with Ouroboros' on findings (local)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("finding_ids", nargs="+", help="finding ids (ASFF Id)")
        parser.add_argument(
            "--action-arn", default=None, help="another action target ARN (default: the workflow's)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            local_securityhub_endpoint()
            action = local_custom_action()
            if options["action_arn"]:
                action = CustomAction(options["action_arn"], action.name, action.description)
            event_id = custom_action_invoke(finding_ids=options["finding_ids"], action=action)
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"custom action '{action.name}' sent for {len(options['finding_ids'])} finding(s): "
            f"event {event_id} ({action.arn})"
        )
