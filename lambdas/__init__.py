"""Lambda handlers: one thin module per deployed function."""
