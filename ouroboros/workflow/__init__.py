"""The remediation workflow: parse -> dispatch -> notify, manual starts and rollbacks.

Modules: `decision` (pure: run, dry-run or skip, and why), `contracts` (the typed JSON the tasks
hand each other, e.g. the Parse -> Dispatch item), `parse` (the Parse task), `ratelimit` (per
account-region token bucket), `dispatch` (the Dispatch and Record Dispatch Failure tasks),
`manual` (`remediation_start`, `execution_rollback`). The workflow writes its records through
`ouroboros.executions.services`, writes back to Security Hub through
`ouroboros.securityhub.writeback` and publishes outcomes through `ouroboros.notify.outcomes`.
"""
