"""Controls: services (writes) and selectors (reads) over the ``security_controls`` table."""
