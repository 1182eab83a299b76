"""One console process of tests/console/api/test_throttle_shared.py.

``python -m tests.console.api.throttle_instance <secret file> <count>``, with the local runtime's
settings (``DJANGO_SETTINGS_MODULE=console.settings.local``: rate limits counted in DynamoDB at
the endpoint the environment names, Django's database in the data folder). The first process
(no secret file yet) migrates that database, creates the operator ``opal`` and a read token, and
writes the token's secret to the file; every process then sends ``count`` API requests with the
token through the console's WSGI handler and prints their statuses as a JSON list (last line).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import django


def _token_secret(path: Path) -> str:
    if path.exists():
        return path.read_text()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from console.tokens.services import api_token_create

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(username="opal", password="pw-opal-1")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    secret = api_token_create(user=user, name="shared", scope="read").secret
    path.write_text(secret)
    return secret


def main(secret_file: str, count: int) -> None:
    django.setup()
    from django.test import Client

    secret = _token_secret(Path(secret_file))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_HOST="localhost")
    statuses = [client.get("/api/v1/tokens").status_code for _ in range(count)]
    print(json.dumps(statuses))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
