"""``python manage.py api_token create|revoke|list``: manage API tokens from the command line.

``create --user NAME --scope read|write [--name N] [--expires-days D]`` prints the token once
(on stdout, alone on its line, so ``$(...)`` captures it); everything else goes to stderr. Every
create and revoke is audited (actor ``manage.py``).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from console.tokens.models import ApiToken
from console.tokens.selectors import api_token_list
from console.tokens.services import api_token_create, api_token_revoke
from ouroboros.errors import OuroborosError

ACTOR = "manage.py"


class Command(BaseCommand):
    help = "Create, revoke or list API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("--user", required=True, help="username of the owner")
        create.add_argument("--scope", required=True, choices=ApiToken.Scope.values)
        create.add_argument("--name", help="default: cli-<timestamp>")
        create.add_argument("--expires-days", type=int, default=None)
        revoke = sub.add_parser("revoke", help="revoke a token")
        revoke.add_argument("--id", type=int, required=True, dest="token_id")
        listing = sub.add_parser("list", help="list tokens (never their secrets)")
        listing.add_argument("--user", help="only this user's tokens")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(**options)
        except OuroborosError as exc:
            raise CommandError(str(exc)) from exc

    def _user(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user

    def _create(self, **options: Any) -> None:
        created = api_token_create(
            user=self._user(options["user"]),
            name=options["name"] or f"cli-{timezone.now():%Y%m%d-%H%M%S}",
            scope=options["scope"],
            expires_days=options["expires_days"],
            actor_name=ACTOR,
        )
        token = created.token
        expires = (
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC"
            if token.expires_at
            else "never expires"
        )
        self.stderr.write(
            f"Created API token {token.pk} {token.name!r} ({token.scope}) for {token.user}, "
            f"{expires}. It is shown once:"
        )
        self.stdout.write(created.secret)

    def _revoke(self, **options: Any) -> None:
        token = api_token_revoke(token_id=options["token_id"], actor_name=ACTOR)
        self.stderr.write(f"Revoked API token {token.pk} {token.name!r} of {token.user}.")

    def _list(self, **options: Any) -> None:
        user = self._user(options["user"]) if options.get("user") else None
        rows = [f"{'id':>6}  {'user':<20} {'name':<30} {'scope':<5}  {'status':<7}  last used"]
        for token in api_token_list(user=user):
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            rows.append(
                f"{token.pk:>6}  {token.user.get_username():<20} {token.name:<30} "
                f"{token.scope:<5}  {token.status:<7}  {used}"
            )
        self.stdout.write("\n".join(rows))
