"""``python manage.py collect_controls``: what the scheduled controls collector does, by hand."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ouroboros.errors import OuroborosError
from ouroboros.securityhub.collect_controls import controls_collect


class Command(BaseCommand):
    help = "Collect Security Hub standards and controls into DynamoDB (user settings are kept)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = controls_collect()
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(asdict(report), indent=2))
