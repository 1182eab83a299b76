"""Property-based fuzzing of the whole API with schemathesis, from the API's own schema.

A live console on 127.0.0.1 (moto as the data store) is fuzzed by the schemathesis CLI with every
check on (no server error; status codes, content types, headers and bodies as the schema says;
schema-violating input rejected and schema-valid input accepted; authentication enforced; 405
and ``Allow`` for undeclared methods...):

1. every operation but the admin-only ones, as an operator with a write token (writes run too);
2. the admin-only operations (``x-required-role: admin`` in the schema), as an admin with a
   read token.

The data store holds one of each resource first (every sample finding, the control catalog,
an execution, installed and Hub reactors: `tests.console.api.seed`), so lists and their
response schemas are exercised on real rows. ``schemathesis.toml`` beside this file holds the
one documented exception (signed cursors). The server counts the requests it answered: at
least 20 per example. ``OUROBOROS_FUZZ_SEED`` replays a run (schemathesis prints the seed it
used). Budget: ``OUROBOROS_FUZZ_EXAMPLES`` examples per operation and ``OUROBOROS_FUZZ_PHASES``;
`make test` runs 10 examples in the examples and fuzzing phases (over 200 requests), and
``benchmarks/fuzz.py`` the full budget: 50 examples in all four phases, coverage (boundary
values, about 1,100 requests) and stateful (links between operations) included.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.signals import request_started

from console.audit.models import AuditEntry
from console.tokens.models import ApiToken
from console.tokens.services import api_token_create
from tests.console.api import seed
from tests.console.api.conftest import make_user
from tests.console.api.live import live_console
from tests.findings_factory import samples_write

pytestmark = [
    pytest.mark.functional,
    pytest.mark.long,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.timeout(1200),
]

EXAMPLES = int(os.environ.get("OUROBOROS_FUZZ_EXAMPLES", "10"))
#: Schemathesis phases: the schema's examples and random fuzzing in `make test`; the coverage
#: phase (about 1,100 boundary requests) and the stateful phase from `benchmarks/fuzz.py`.
PHASES = os.environ.get("OUROBOROS_FUZZ_PHASES", "examples,fuzzing")
#: Requests the API must answer: about twenty operations, most drawn many times per example.
MIN_REQUESTS = 20 * EXAMPLES
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = Path(__file__).with_name("schemathesis.toml")


class _Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    def __call__(self, **kwargs: Any) -> None:
        with self.lock:
            self.count += 1


def _token(user: Any, scope: str, high_id: int) -> str:
    created = api_token_create(user=user, name=f"fuzz-{scope}", scope=scope)
    # A high id, so that DELETE /tokens/{id} with a drawn id does not revoke the fuzzer's own
    # token (tokens the fuzzer creates, and revokes through the stateful links, come after it).
    ApiToken.objects.filter(pk=created.token.pk).update(id=high_id)
    return created.secret


def _schemathesis(
    url: str, secret: str, workdir: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    seed = os.environ.get("OUROBOROS_FUZZ_SEED")
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/api/schema/",
        "--header",
        f"Authorization: Bearer {secret}",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--phases",
        PHASES,
        "--workers",
        "1",
        "--no-color",
        "--generation-database",
        ":memory:",
        # Path parameters with "/", "%2F", "." or surrogates are dropped by schemathesis before
        # sending (they would route elsewhere); for finding ids (any printable text) that is
        # many drawn values, which only Hypothesis's generation health check minds.
        "--suppress-health-check",
        "filter_too_much",
        *(["--seed", seed] if seed else []),
        *options,
    ]
    # In a temporary folder: the CLI keeps a cache (.schemathesis/) in its working directory.
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=1000, check=False, cwd=workdir
    )
    print(run.stdout[-30000:])
    print(run.stderr[-5000:], file=sys.stderr)
    return run


def _admin_only_operations() -> str:
    """A regex of the operation ids only admins may call."""
    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    paths = json.loads(out.getvalue())["paths"]
    ids = sorted(
        op["operationId"]
        for item in paths.values()
        for op in item.values()
        if op["x-required-role"] == "admin"
    )
    assert ids, "no admin-only operation: drop the second run"
    return "^(" + "|".join(re.escape(i) for i in ids) + ")$"


def test_schemathesis_finds_no_failure(
    moto_aws: None, django_user_model: Any, settings: Any, tmp_path: Path
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "1000000/minute", "user": None, "anon": None},
    }
    operator_write = _token(make_user(django_user_model, "opal", "operator"), "write", 10**12)
    admin_read = _token(make_user(django_user_model, "ada", "admin"), "read", 10**12 + 1)
    admin_only_ids = _admin_only_operations()
    samples_write()
    seed.execution_seed(seed.finding_seed())
    seed.control_seed()
    seed.hub_seed()
    seed.reactor_installed()
    counter = _Counter()
    request_started.connect(counter, weak=False)
    try:
        with live_console() as url:
            everything = _schemathesis(
                url, operator_write, tmp_path, "--exclude-operation-id-regex", admin_only_ids
            )
            admin_only = _schemathesis(
                url, admin_read, tmp_path, "--include-operation-id-regex", admin_only_ids
            )
    finally:
        request_started.disconnect(counter)
    assert everything.returncode == 0, everything.stdout[-10000:]
    assert admin_only.returncode == 0, admin_only.stdout[-10000:]
    for run in (everything, admin_only):
        assert "Authentication failed" not in run.stdout  # every operation was really reached
    print(f"requests answered by the API: {counter.count}")
    assert counter.count >= MIN_REQUESTS, f"only {counter.count} requests reached the API"
    # The writes really ran: tokens created (and revoked) through the API, each one audited.
    created = ApiToken.objects.exclude(name__startswith="fuzz-")
    assert created.exists()
    audited = AuditEntry.objects.filter(action="api_token.create", via="api")
    assert audited.count() == created.count()
    revoked = created.filter(revoked_at__isnull=False).count()
    assert AuditEntry.objects.filter(action="api_token.revoke", via="api").count() == revoked
    # Whatever the fuzzer managed to change, the trail names who and with which token.
    by_api = AuditEntry.objects.filter(via="api")
    assert set(by_api.values_list("actor_name", "token_name")) == {("opal", "fuzz-write")}
