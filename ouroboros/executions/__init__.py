"""Executions: remediation attempts, the audit of what changed (selectors read)."""
