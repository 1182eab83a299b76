"""Reliability under faults and bad input (issue 9).

- ``faults.py``: `FaultInjector`, botocore-level fault injection in front of moto (throttling,
  access errors, server errors, lost answers), so the real retry and error paths run;
- ``conftest.py``: the ``faults`` fixture and the ``workflow`` harness (the S3.2 reactor
  installed, a public bucket in member account 222222222222 and its FAILED finding);
- ``test_workflow_*``, ``test_member_access``, ``test_concurrent_dispatch``: the remediation
  workflow under throttling, reactor failures and timeouts, member-role errors, and races;
- ``test_installer_faults``, ``test_publish_faults``: installs, upgrades and publishes failing
  half way;
- ``test_collector_throttling``: the findings collectors under throttling;
- ``test_controls_collector_throttling``: the controls collector under throttling (against the
  local Security Hub, which serves the operations moto lacks);
- ``test_handler_bad_input``: malformed and oversized events into every Lambda handler (walks
  ``deploy.functions.FUNCTIONS`` and ``lambdas/reactors``);
- ``test_hostile_fields``: hostile strings in console form fields and API fields.

The browser check of hostile content is ``tests/browser/test_hostile_content.py``.
"""
