"""Scenarios: the data a reactor package supplies so one harness can test every control it fixes.

A reactor package ships ``scenarios.py`` beside ``reactor.py`` with ``SCENARIOS``, a list of
`Scenario`, at least one per control id the reactor declares. It is data, not a test file: the
project's harness (``tests/lambdas/reactors/test_scenarios.py``) runs every scenario of every
package in moto, and the packager leaves ``scenarios.py`` out of the artifact.

For each scenario the harness

1. calls ``arrange(session, account_id)`` twice: in the member account the finding names
   (reached through the member role with ExternalId, as on AWS) and in the caller's own account,
   each building the failing state and returning the `Target` the finding points at;
2. reads ``before = observe(member, target)``;
3. runs a dry run: the state must not change, and the changes it reports (action, resource,
   before, after) must equal those the real run reports next;
4. remediates: ``fixed(observe(member, target))`` must be true, and a second run must report
   ``unchanged`` (idempotence);
5. rolls back: ``observe(member, target)`` must equal ``before`` again;
6. checks the caller's copy: ``observe(caller, caller_target)`` never changed;
7. judges least privilege: every AWS call the reactor made through its member session (steps 3
   to 5) must be allowed by the permissions it declares (its session policy), on the resource
   the call names, or the finding's resource when the call's ARN cannot be worked out.

Every control id a reactor declares needs at least one scenario (the registry's meta-test,
``tests/ouroboros/reactors/test_meta.py``, fails otherwise).

``observe`` returns a JSON-able value holding exactly what the control judges (and what rollback
must restore), for example ``{"HttpTokens": "optional"}``. Names of global resources (S3 buckets)
should contain ``account_id`` so the two copies do not collide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3


@dataclass(frozen=True)
class Target:
    """The resource a scenario's finding points at, as the finding's ``Resources[0]`` names it."""

    #: ``Resources[0].Id``: an ARN, or the id Security Hub uses for that type.
    resource_id: str
    #: ``Resources[0].Type`` (``AwsEc2Instance``...); None keeps the sample's.
    resource_type: str | None = None
    #: ``Resources[0].Details``; None keeps the sample's.
    details: Mapping[str, Any] | None = None


#: Builds the failing state in the account of ``session`` (its id is the second argument).
Arrange = Callable[[boto3.Session, str], Target]
#: Reads the state the control judges, as a JSON-able value.
Observe = Callable[[boto3.Session, Target], Any]


@dataclass(frozen=True)
class Scenario:
    """One failing state of one control, how to read it, and when it counts as fixed."""

    control_id: str
    #: A real ASFF sample under ``tests/events`` (``asff_findings/asr_afsbp_s3.5.json``); the
    #: harness moves it to the account, sets the control id and points it at the target.
    sample: str
    arrange: Arrange
    observe: Observe
    #: True when the observed state passes the control.
    fixed: Callable[[Any], bool]
    #: The control's parameters for the reactor (schema defaults fill the rest).
    params: Mapping[str, Any] = field(default_factory=dict)
    #: Tells apart several scenarios of one control (``"no-policy"``, ``"cluster-snapshot"``).
    name: str = ""

    @property
    def label(self) -> str:
        """``control_id`` or ``control_id[name]``: the harness's test id."""
        return f"{self.control_id}[{self.name}]" if self.name else self.control_id
