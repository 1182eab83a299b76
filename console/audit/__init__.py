"""The audit trail: who changed what, when, from where (API, console or command line): the model,
the one writer (``services.audit_record``), the admins' page under /audit/ and the
``/api/v1/audit`` API view (``api``).
"""
