"""Executions: the console pages (every remediation attempt, what one changed, its rollback, the
notifications sent about them) and the ``/api/v1/executions`` API views (``api``).
"""
