"""The remediation workflow: parse -> dispatch -> notify, manual starts and rollbacks.

Modules: `fields` (the few ASFF fields the workflow reads), `decision` (pure: run, dry-run or
skip, and why), `parse` (the Parse task), `executions` (the audit records and idempotency
markers), `ratelimit` (per account-region token bucket), `dispatch` (the Dispatch and Record
Dispatch Failure tasks), `securityhub` (workflow write-back), `notify` (Send Notification),
`manual` (`remediation_start`, `execution_rollback`).
"""
