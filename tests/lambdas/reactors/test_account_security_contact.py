"""``account-security-contact`` beyond its scenario: no invented defaults, and an existing
contact is kept.

The harness runs the Account.1 scenario with all four parameters set.
"""

from __future__ import annotations

import boto3
import pytest

from lambdas.reactors.account_security_contact.reactor import handler
from lambdas.reactors.account_security_contact.scenarios import (
    CONTACT,
    SCENARIOS,
    account_without_contact,
    security_contact,
)
from reactor_sdk import ReactorParamsError
from tests.lambdas.reactors.conftest import run
from tests.lambdas.reactors.test_scenarios import scenario_finding
from tests.reactor_support import MEMBER

pytestmark = pytest.mark.functional


def test_refuses_to_run_without_the_contact_parameters(member: boto3.Session) -> None:
    target = account_without_contact(member, MEMBER)
    finding = scenario_finding(SCENARIOS[0], target, MEMBER)

    with pytest.raises(ReactorParamsError, match="set the parameters name, title, email, phone"):
        run(handler, finding, dry_run=True)
    with pytest.raises(ReactorParamsError, match="set the parameters phone "):
        run(handler, finding, params={**CONTACT, "phone": " "})
    with pytest.raises(ReactorParamsError, match="email"):
        run(handler, finding, params={**CONTACT, "email": "not-an-address"})
    assert security_contact(member, target) is None


def test_keeps_an_existing_security_contact(member: boto3.Session) -> None:
    target = account_without_contact(member, MEMBER)
    existing = {
        "Name": "CISO office",
        "Title": "CISO",
        "EmailAddress": "ciso@example.com",
        "PhoneNumber": "+44 20 7946 0000",
    }
    member.client("account", region_name="us-east-1").put_alternate_contact(
        AlternateContactType="SECURITY", **existing
    )

    result = run(handler, scenario_finding(SCENARIOS[0], target, MEMBER), params=CONTACT)
    assert result["status"] == "unchanged"
    assert security_contact(member, target) == existing
