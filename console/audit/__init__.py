"""The audit trail: who changed what, when, from where (API, console or command line)."""
