"""Findings: the console pages (the list with filters, sort, search and cursor pages; one finding;
"Remediate now") and the ``/api/v1/findings`` API views (``api``).
"""
