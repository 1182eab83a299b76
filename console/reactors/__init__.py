"""Installed reactors: the console pages (the installed list; install, upgrade, uninstall), the
``/api/v1/reactors`` API views (``api``), and in the admin the bulk assignment of a reactor to
controls with its "reactor changes" view of the audit trail.
"""
