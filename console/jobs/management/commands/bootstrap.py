"""``python manage.py bootstrap --role consumer|hub [--region R]``: everything Zappa does not.

Idempotent: prints one line per resource (created / updated / unchanged / pending) and a summary;
a second run reports no changes. ``--check`` only verifies and exits non-zero on any problem;
it evaluates the console role as API Gateway uses it with the emulator's IAM evaluator
(`EvaluatorJudge`: the deploy package may not import the emulator, a command may).
Logic: `deploy.bootstrap` and `deploy.check`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deploy.bootstrap import bootstrap_run
from deploy.check import deployment_problems
from deploy.hub_access import hub_outputs
from deploy.naming import deployment_current
from deploy.report import reports_summary
from deploy.runtime_env import project_root
from emulator.iam_evaluator import Request, evaluate, trust_evaluate
from ouroboros.errors import OuroborosError


class EvaluatorJudge:
    """`deploy.check.PolicyJudge` on `emulator.iam_evaluator` (AWS's evaluation logic)."""

    def assume_refused(self, trust: dict[str, Any], service: str) -> str | None:
        decision = trust_evaluate(trust, service)
        return None if decision.allowed else decision.reason

    def call_refused(
        self, policies: list[dict[str, Any]], action: str, resource: str, principal: str
    ) -> str | None:
        decision = evaluate(Request(action, resource, principal=principal), policies)
        return None if decision.allowed else decision.reason


class Command(BaseCommand):
    help = "Create or repair the tables, topic, roles, state machine, rules and stream mappings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", choices=["consumer", "hub"], required=True)
        parser.add_argument("--region", default=None, help="default: AWS_REGION")
        parser.add_argument("--check", action="store_true", help="verify only, change nothing")
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
            help="Zappa settings whose stage and region must match (default: zappa_settings.json)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["check"]:
                problems = deployment_problems(
                    options["role"],
                    region=options["region"],
                    include_planned=options["include_planned"],
                    judge=EvaluatorJudge(),
                )
                for problem in problems:
                    self.stdout.write(problem)
                if problems:
                    raise CommandError(f"{len(problems)} problem(s)")
                self.stdout.write("deployment as designed")
                return
            reports = bootstrap_run(
                options["role"],
                region=options["region"],
                include_planned=options["include_planned"],
                settings_path=options["zappa_settings"],
            )
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        for report in reports:
            self.stdout.write(report.line())
        self.stdout.write(reports_summary(reports))
        if options["role"] == "hub":  # what a consumer in another account configures
            outputs = hub_outputs(deployment_current("hub", region=options["region"]))
            self.stdout.write("consumer settings for this Hub:")
            for name, value in outputs.items():
                self.stdout.write(f"  {name}={value}")
            if "OUROBOROS_HUB_ROLE_ARN" in outputs:
                self.stdout.write("  OUROBOROS_HUB_EXTERNAL_ID=<the ExternalId set here>")
