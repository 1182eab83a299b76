"""Controls: the console pages (the list; a control's reactor, mode and exemptions) and the
``/api/v1/controls`` API views (``api``).
"""
