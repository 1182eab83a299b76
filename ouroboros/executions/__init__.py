"""Executions: remediation attempts, the audit of what changed.

`services` writes them (records, idempotency markers, dashboard counts); `selectors` reads them.
"""
