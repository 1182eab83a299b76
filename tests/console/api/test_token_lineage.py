"""Tokens minted by tokens: revocation cascades down the chain; a chain is as good as its root.

The attack (issue 17): a leaked write token A mints B, B mints C; revoking A must leave neither B
nor C working, and neither may mint more. Authentication also refuses a token whose ancestor is
revoked or expired when its own row was somehow left active (defence in depth).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from console.audit.models import AuditEntry
from console.tokens.models import ApiToken
from console.tokens.selectors import MAX_LINEAGE
from console.tokens.services import api_token_create, api_token_revoke
from tests.console.api.conftest import assert_problem, bearer

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _mint(client: Client, name: str, scope: str = "write", **extra: Any) -> tuple[int, str]:
    response = client.post("/api/v1/tokens", {"name": name, "scope": scope, **extra}, JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    return body["id"], body["token"]


@pytest.fixture
def chain(users: dict[str, Any]) -> dict[str, Any]:
    """A (created by the CLI or a page) -> B (minted with A) -> C (minted with B), all opal's."""
    root = api_token_create(user=users["opal"], name="A", scope="write", expires_days=30)
    b_id, b_secret = _mint(bearer(root.secret), "B")
    c_id, c_secret = _mint(bearer(b_secret), "C")
    return {
        "A": (root.token.pk, root.secret),
        "B": (b_id, b_secret),
        "C": (c_id, c_secret),
    }


def test_minted_tokens_record_their_parent(chain: dict[str, Any]) -> None:
    a, b, c = (ApiToken.objects.get(pk=chain[n][0]) for n in "ABC")

    assert (a.parent_id, b.parent_id, c.parent_id) == (None, a.pk, b.pk)


def test_revoking_a_token_revokes_every_token_minted_from_it(chain: dict[str, Any]) -> None:
    a_id, a_secret = chain["A"]
    for name in "BC":
        assert bearer(chain[name][1]).get("/api/v1/tokens").status_code == 200

    response = bearer(a_secret).delete(f"/api/v1/tokens/{a_id}")

    assert response.status_code == 204
    for name in "ABC":
        client = bearer(chain[name][1])
        assert_problem(client.get("/api/v1/tokens"), 401)
        assert_problem(client.post("/api/v1/tokens", {"name": "D", "scope": "read"}, JSON), 401)
        assert ApiToken.objects.get(pk=chain[name][0]).revoked_at is not None
    assert ApiToken.objects.filter(name="D").count() == 0


def test_the_cascade_is_audited_token_by_token(chain: dict[str, Any]) -> None:
    api_token_revoke(token_id=chain["A"][0], actor_name="test")

    entries = AuditEntry.objects.filter(action="api_token.revoke").order_by("id")
    revoked = {int(e.target_id): e.after for e in entries}
    assert set(revoked) == {chain[n][0] for n in "ABC"}
    assert "cascade_from" not in revoked[chain["A"][0]]
    assert revoked[chain["B"][0]]["cascade_from"] == chain["A"][0]
    assert revoked[chain["C"][0]]["cascade_from"] == chain["A"][0]
    assert revoked[chain["C"][0]]["parent"] == chain["B"][0]


def test_revoking_a_middle_token_leaves_its_parent_working(chain: dict[str, Any]) -> None:
    api_token_revoke(token_id=chain["B"][0])

    assert bearer(chain["A"][1]).get("/api/v1/tokens").status_code == 200
    assert_problem(bearer(chain["C"][1]).get("/api/v1/tokens"), 401)


@pytest.mark.parametrize("ancestor", ["A", "B"])
@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_a_token_with_a_dead_ancestor_is_refused_even_if_its_row_is_active(
    chain: dict[str, Any], ancestor: str, how: str
) -> None:
    past = timezone.now() - timedelta(seconds=1)
    field = "revoked_at" if how == "revoked" else "expires_at"
    # Bypasses the cascade: a row left active by a restore, a manual edit, a race.
    ApiToken.objects.filter(pk=chain[ancestor][0]).update(**{field: past})

    client = bearer(chain["C"][1])
    assert ApiToken.objects.get(pk=chain["C"][0]).is_active()
    assert_problem(client.get("/api/v1/tokens"), 401)
    assert_problem(client.post("/api/v1/tokens", {"name": "D", "scope": "read"}, JSON), 401)


def test_revoking_again_revokes_descendants_left_active(chain: dict[str, Any]) -> None:
    ApiToken.objects.filter(pk=chain["A"][0]).update(revoked_at=timezone.now())

    api_token_revoke(token_id=chain["A"][0])

    assert ApiToken.objects.get(pk=chain["C"][0]).revoked_at is not None


def test_a_grandchild_cannot_outlive_the_root(chain: dict[str, Any]) -> None:
    root = ApiToken.objects.get(pk=chain["A"][0])
    _, d_secret = _mint(bearer(chain["C"][1]), "D", expires_days=3650)

    d = ApiToken.objects.get(name="D")
    assert root.expires_at is not None
    assert d.expires_at == root.expires_at
    assert bearer(d_secret).get("/api/v1/tokens").status_code == 200


def test_chains_are_at_most_max_lineage_deep(users: dict[str, Any]) -> None:
    secret = api_token_create(user=users["opal"], name="t0", scope="write").secret
    for depth in range(1, MAX_LINEAGE + 1):
        _, secret = _mint(bearer(secret), f"t{depth}")

    response = bearer(secret).post("/api/v1/tokens", {"name": "too-deep", "scope": "read"}, JSON)

    assert_problem(response, 400)
    assert not ApiToken.objects.filter(name="too-deep").exists()
    assert bearer(secret).get("/api/v1/tokens").status_code == 200


def test_an_operator_manages_only_their_own_tokens(users: dict[str, Any]) -> None:
    """What the operator role may do with tokens: self-service through the API, nothing more."""
    operator = Client()
    operator.force_login(users["opal"])
    other = api_token_create(user=users["vera"], name="vera's", scope="read").token

    created = operator.post("/api/v1/tokens", {"name": "mine", "scope": "read"}, JSON)
    assert created.status_code == 201
    assert ApiToken.objects.get(pk=created.json()["id"]).user == users["opal"]
    listed = {t["name"] for t in operator.get("/api/v1/tokens").json()["results"]}
    assert listed == {"mine"}
    assert_problem(operator.delete(f"/api/v1/tokens/{other.pk}"), 404)
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None
    assert operator.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 204
    # The console's token pages: an operator sees their own tokens there, never another user's.
    page = operator.get("/tokens/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "mine" in body, body
    assert "vera&#x27;s" not in body, body  # the other user's token name, escaped
