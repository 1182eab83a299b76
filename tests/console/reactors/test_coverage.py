"""``manage.py reactor_coverage`` and the coverage page (reactors section)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from ouroboros.models import ControlModel, HubReactorModel, LocalReactorModel
from ouroboros.reactors.catalog import LATEST

pytestmark = [pytest.mark.functional, pytest.mark.django_db]


@pytest.fixture
def coverage_data(moto_aws: None) -> None:
    """iam-password-policy in the Hub (IAM.7, IAM.11), installed (IAM.7), IAM.7 in auto mode."""
    HubReactorModel(
        "iam-password-policy",
        "1.0.0",
        control_ids=["IAM.7", "IAM.11"],
        artifact_key="k",
        sha256="0" * 64,
        status="verified",
        latest=LATEST,
    ).save()
    LocalReactorModel(
        "iam-password-policy",
        version="1.0.0",
        sha256="0" * 64,
        status="installed",
        manifest={"control_ids": ["IAM.7"]},
    ).save()
    ControlModel("IAM.7", title="t", reactor_id="iam-password-policy", mode="auto").save()


def test_the_command_prints_the_table_and_the_totals(coverage_data: None) -> None:
    out = io.StringIO()
    call_command("reactor_coverage", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["control", "severity", "ASR", "Hub", "reactor", "installed", "mode"]
    iam7 = next(line for line in lines if line.startswith("IAM.7 "))
    assert iam7.split() == [
        "IAM.7",
        "MEDIUM",
        "yes",
        "iam-password-policy",
        "iam-password-policy",
        "auto",
        "(iam-password-policy)",
    ]
    assert next(line for line in lines if line.startswith("IAM.11 ")).split()[-2:] == ["-", "off"]
    totals = {line.split()[0]: line.split()[1::2] for line in lines if line.startswith("  ")}
    assert list(totals)[:2] == ["CRITICAL", "HIGH"] and "all" in totals
    assert totals["MEDIUM"][1:] == ["2", "1", "1"]  # with a Hub reactor, installed, configured
    assert "ASR: 2 of its 107 control ids have a Hub reactor" in lines


def test_the_command_prints_json(coverage_data: None) -> None:
    out = io.StringIO()
    call_command("reactor_coverage", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["asr"]["total"], report["asr"]["covered"]) == (107, 2)
    assert "automated-security-response" in json.dumps(report["asr"]["source"])
    iam7 = next(c for c in report["controls"] if c["control_id"] == "IAM.7")
    assert (iam7["mode"], iam7["installed"], iam7["has_reactor"]) == ("auto", True, True)
    medium = report["by_severity"]["MEDIUM"]
    assert medium["with_reactor"] == 2 and medium["installed"] == 1 and medium["configured"] == 1
    assert report["total"]["controls"] == sum(s["controls"] for s in report["by_severity"].values())


def test_the_page_shows_controls_totals_and_asr_and_is_linked(
    viewer: Client, coverage_data: None
) -> None:
    page = viewer.get("/reactors/coverage/").content.decode()
    assert 'href="/reactors/coverage/"' in page  # the reactors section's nav
    assert "107 control ids: 2 of them have a reactor in the Hub" in page
    row = page.split('id="control-IAM.7"')[1].split("</tr>")[0]
    assert 'href="/reactors/hub/iam-password-policy/"' in row
    assert "auto (iam-password-policy)" in row
    missing = viewer.get("/reactors/coverage/", {"missing": "1"}).content.decode()
    assert 'id="control-IAM.7"' not in missing and 'id="control-S3.2"' in missing
    high = viewer.get("/reactors/coverage/", {"severity": "high"}).content.decode()
    assert 'id="control-IAM.7"' not in high and 'id="control-EC2.8"' in high


def test_anonymous_users_are_sent_to_login(client: Client) -> None:
    response = client.get("/reactors/coverage/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_command_without_a_runtime_or_credentials_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import NoCredentialsError
    from django.core.management.base import CommandError

    from console.reactors.management.commands import reactor_coverage as command

    def no_credentials() -> None:
        raise NoCredentialsError()

    monkeypatch.setattr(command, "reactor_coverage", no_credentials)
    with pytest.raises(CommandError, match=r"start the local runtime \(`make run`\)"):
        call_command("reactor_coverage")
