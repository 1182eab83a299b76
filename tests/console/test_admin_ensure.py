"""``manage.py admin_ensure``: the production administrator from an SSM parameter (issue 15, 9)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from moto import mock_aws

from console.audit.models import AuditEntry
from ouroboros.aws import client, reset_sessions

pytestmark = [pytest.mark.django_db, pytest.mark.functional]

PARAMETER = "/ouroboros/prod/admin-password"
PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def ssm() -> Iterator[None]:
    with mock_aws():
        reset_sessions()
        client("ssm").put_parameter(Name=PARAMETER, Value=PASSWORD, Type="SecureString")
        yield
    reset_sessions()


def _run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("admin_ensure", "--password-parameter", PARAMETER, *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_creates_the_administrator_without_echoing_the_password(
    ssm: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    output = _run("--email", "ops@example.com")
    assert output == "created administrator admin\n"
    user = User.objects.get(username="admin")
    assert user.is_superuser and user.is_active and user.check_password(PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == ["admin"]
    assert PASSWORD not in caplog.text
    (entry,) = AuditEntry.objects.filter(action="user.admin_created")
    assert (entry.actor_name, entry.via, entry.target_id) == (
        "manage.py admin_ensure",
        "cli",
        "admin",
    )
    assert PASSWORD not in str(entry.after)


def test_a_second_run_changes_nothing_and_audits_nothing(ssm: None) -> None:
    _run()
    assert _run() == "unchanged administrator admin\n"
    assert AuditEntry.objects.filter(action__startswith="user.admin_").count() == 1


def test_a_new_password_in_the_parameter_is_applied_and_a_demoted_admin_restored(
    ssm: None,
) -> None:
    _run()
    user = User.objects.get(username="admin")
    user.is_superuser = False
    user.save()
    rotated = "another-long-passphrase-77"
    client("ssm").put_parameter(Name=PARAMETER, Value=rotated, Type="SecureString", Overwrite=True)
    assert _run() == "updated administrator admin (password, is_superuser)\n"
    user.refresh_from_db()
    assert user.is_superuser and user.check_password(rotated)
    assert AuditEntry.objects.filter(action="user.admin_updated").count() == 1


def test_a_weak_password_is_refused_without_showing_it(ssm: None) -> None:
    client("ssm").put_parameter(Name=PARAMETER, Value="admin", Type="SecureString", Overwrite=True)
    with pytest.raises(CommandError, match=f"the password in {PARAMETER} is refused") as refused:
        _run()
    assert "'admin'" not in str(refused.value)
    assert not User.objects.filter(username="admin").exists()


def test_a_missing_parameter_is_a_clear_error(ssm: None) -> None:
    with pytest.raises(CommandError, match="SSM parameter /ouroboros/prod/nope does not exist"):
        call_command("admin_ensure", "--password-parameter", "/ouroboros/prod/nope")
