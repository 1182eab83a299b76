"""``python manage.py bootstrap --role consumer|hub|members [--region R]``: what Zappa does not.

Idempotent: prints one line per resource (created / updated / unchanged / pending) and a summary;
a second run reports no changes. ``--check`` only verifies and exits non-zero on any problem;
it evaluates the console role as API Gateway uses it with the emulator's IAM evaluator
(`EvaluatorJudge`: the deploy package may not import the emulator, a command may).
Logic: `deploy.bootstrap` and `deploy.check`.

``--role members --ous ou-...,ou-...`` delivers the member role to every account of those OUs
(nested ones included) as a service-managed StackSet in the home region (``--region``), and with
``--check`` reports accounts whose role is missing, stale or not yet deployed (`deploy.members`).
``members`` is a third ``--role`` rather than a subcommand: it is the third place bootstrap
deploys to (the member accounts), and ``--region``, ``--check`` and the report read the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deploy.bootstrap import bootstrap_run
from deploy.check import deployment_problems
from deploy.hub_access import hub_outputs
from deploy.members import DEFAULT_ACCESS_ROLE, members_check, members_deploy, members_plan
from deploy.naming import deployment_current
from deploy.organization import ous_parse
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
        parser.add_argument("--role", choices=["consumer", "hub", "members"], required=True)
        parser.add_argument("--ous", help="members: OU (or root) ids, comma-separated")
        parser.add_argument(
            "--access-role",
            default=DEFAULT_ACCESS_ROLE,
            help="members --check: the role in each account to look up the member role with "
            "('' skips the lookup)",
        )
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
        if (options["role"] == "members") != bool(options["ous"]):
            raise CommandError("--ous goes with --role members, and --role members needs --ous")
        if options["role"] == "members":
            return self._members(options)
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

    def _members(self, options: dict[str, Any]) -> None:
        try:
            plan = members_plan(
                ous_parse(options["ous"]),
                region=options["region"],
                settings_path=options["zappa_settings"],
            )
            if not options["check"]:
                reports = members_deploy(plan)
            else:
                check = members_check(plan, access_role=options["access_role"])
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc
        if not options["check"]:
            for report in reports:
                self.stdout.write(report.line())
            self.stdout.write(reports_summary(reports))
            return
        for line in check.problems + [f"note: {note}" for note in check.notes]:
            self.stdout.write(line)
        if check.problems:
            raise CommandError(f"{len(check.problems)} problem(s)")
        self.stdout.write(f"member role as designed in {len(plan.targets.accounts)} account(s)")
