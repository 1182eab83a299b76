"""The scenario harness: every scenario of every official reactor, one parametrised test.

Each reactor package supplies ``scenarios.py`` (`reactor_sdk.testing.Scenario` data, see that
module for the steps). Per scenario, in moto: the failing state is built in the member account
(reached by assume-role with ExternalId, as the reactor reaches it) and in the caller's own
account; the dry run changes nothing and predicts exactly the changes the real run makes; the
real run fixes the state and a second run changes nothing; rollback restores the state read
before; the caller's copy is never touched; and every call the reactor made in the member
account is within the permissions it declares (`tests.lambdas.reactors.least_privilege`).
"""

from __future__ import annotations

import copy
import importlib
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from lambdas.reactors.s3_bucket_public_access_block import scenarios as bpa_scenarios
from lambdas.reactors.s3_bucket_public_access_block.reactor import (
    S3BucketPublicAccessBlockReactor,
)
from reactor_sdk import Permission, reactor_handler
from reactor_sdk.testing import Scenario, Target
from tests.lambdas.reactors.conftest import Handler, rollback, run
from tests.lambdas.reactors.least_privilege import MemberCalls, calls_judge, member_calls
from tests.reactor_support import CALLER, CATALOG, MEMBER, member_finding

pytestmark = pytest.mark.functional


def scenario_packages() -> list[str]:
    """The official reactor packages that ship ``scenarios.py``."""
    return sorted(p.parent.name for p in CATALOG.glob("*/scenarios.py"))


def package_scenarios(package: str) -> list[Scenario]:
    module = importlib.import_module(f"lambdas.reactors.{package}.scenarios")
    scenarios = list(module.SCENARIOS)
    assert scenarios and all(isinstance(s, Scenario) for s in scenarios), package
    return scenarios


def package_handler(package: str) -> Handler:
    handler: Handler = importlib.import_module(f"lambdas.reactors.{package}.reactor").handler
    return handler


def _cases() -> Iterator[Any]:
    for package in scenario_packages():
        for scenario in package_scenarios(package):
            yield pytest.param(package, scenario, id=f"{package}:{scenario.label}")


def scenario_finding(scenario: Scenario, target: Target, account: str) -> dict[str, Any]:
    """The scenario's sample finding moved to ``account``, its control, pointed at ``target``."""
    finding = member_finding(
        scenario.sample,
        account=account,
        resource_type=target.resource_type,
        resource_id=target.resource_id,
        control_id=scenario.control_id,
    )
    if target.details is not None:
        finding["Resources"][0]["Details"] = copy.deepcopy(dict(target.details))
    return finding


def _json(value: Any) -> Any:
    """``value`` as JSON would carry it (tuples become lists, datetimes strings)."""
    return json.loads(json.dumps(value, default=str))


def least_privilege_check(scenario: Scenario, recorded: MemberCalls, target: Target) -> None:
    """Every call the reactor made in the member account was within what it declares."""
    assert recorded.calls, f"{scenario.label}: no call through the reactor's member session"
    denied = [
        j for j in calls_judge(recorded.calls, target_arn=target.resource_id) if not j.allowed
    ]
    assert not denied, f"{scenario.label}: least privilege: " + "; ".join(
        sorted({j.describe() for j in denied})
    )


def scenario_check(
    handler: Handler,
    scenario: Scenario,
    member: boto3.Session,
    caller: boto3.Session,
) -> None:
    """Run one scenario through every step of the harness (see the module docstring)."""
    caller_target = scenario.arrange(caller, CALLER)
    caller_before = _json(scenario.observe(caller, caller_target))
    target = scenario.arrange(member, MEMBER)
    finding = scenario_finding(scenario, target, MEMBER)
    observe: Callable[[], Any] = lambda: _json(scenario.observe(member, target))  # noqa: E731
    before = observe()
    assert not scenario.fixed(before), f"{scenario.label}: arrange did not build a failing state"
    params = dict(scenario.params)

    with member_calls() as recorded:
        planned = run(handler, finding, params=params, dry_run=True)
        assert planned["status"] == "would_change", planned
        assert observe() == before, f"{scenario.label}: the dry run changed the state"

        done = run(handler, finding, params=params)
        assert done["status"] == "changed", done
        after = observe()
        assert scenario.fixed(after), f"{scenario.label}: not fixed: {after}"
        assert _json(planned["changes"]) == _json(done["changes"]), (
            f"{scenario.label}: the dry run did not predict the changes"
        )
        again = run(handler, finding, params=params)
        assert again["status"] == "unchanged", f"{scenario.label}: second run changed {again}"

        rollback(handler, finding, done)
        assert observe() == before, f"{scenario.label}: rollback did not restore the state"
    least_privilege_check(scenario, recorded, target)
    assert _json(scenario.observe(caller, caller_target)) == caller_before, (
        f"{scenario.label}: the caller's own account was changed"
    )


@pytest.mark.parametrize(("package", "scenario"), list(_cases()))
def test_scenario(
    package: str, scenario: Scenario, member: boto3.Session, caller: boto3.Session
) -> None:
    scenario_check(package_handler(package), scenario, member, caller)


# -- the harness itself catches what it must ----------------------------------------------------


class _ReadOnlyDeclared(S3BucketPublicAccessBlockReactor):
    """A toy copy of the S3.8 reactor that declares the read but not the write.

    Everything else works in moto (which enforces no IAM): only least privilege can fail it.
    """

    id = "toy-read-only-declared"
    permissions = (Permission(("s3:GetBucketPublicAccessBlock",), ("arn:aws:s3:::*",)),)


class _OtherBucketDeclared(S3BucketPublicAccessBlockReactor):
    """A toy copy of the S3.8 reactor whose permissions name another bucket.

    The actions are right, the resource is not: the judge must compare ARNs, not only actions.
    """

    id = "toy-other-bucket-declared"
    permissions = (
        Permission(
            ("s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
            ("arn:aws:s3:::some-other-bucket",),
        ),
    )


@pytest.mark.parametrize(
    ("toy", "denied"),
    [
        (_ReadOnlyDeclared, "s3.PutPublicAccessBlock needs s3:PutBucketPublicAccessBlock on "),
        (_OtherBucketDeclared, "s3.GetPublicAccessBlock needs s3:GetBucketPublicAccessBlock on "),
    ],
)
def test_a_call_outside_the_declared_permissions_fails_the_scenario(
    toy: Any, denied: str, member: boto3.Session, caller: boto3.Session
) -> None:
    scenario = bpa_scenarios.SCENARIOS[0]
    with pytest.raises(AssertionError, match="least privilege: .*" + re.escape(denied)):
        scenario_check(reactor_handler(toy), scenario, member, caller)


class _CallerToo(S3BucketPublicAccessBlockReactor):
    """A toy copy of the S3.8 reactor that also changes the caller's own copy of the bucket.

    The member account ends up right: only the untouched-caller check can fail it.
    """

    id = "toy-caller-too"

    def remediate(self, finding: Any, session: Any, params: Any, dry_run: bool) -> Any:
        result = super().remediate(finding, session, params, dry_run)
        if not dry_run:  # the caller's own credentials, not the member session
            bucket = finding.resource("AwsS3Bucket").name.replace(MEMBER, CALLER)
            all_on = dict.fromkeys(bpa_scenarios.SETTINGS, True)
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=all_on)
        return result


def test_a_change_in_the_callers_own_account_fails_the_scenario(
    member: boto3.Session, caller: boto3.Session
) -> None:
    scenario = bpa_scenarios.SCENARIOS[0]
    with pytest.raises(AssertionError, match="the caller's own account was changed"):
        scenario_check(reactor_handler(_CallerToo), scenario, member, caller)
