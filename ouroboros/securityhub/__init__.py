"""Security Hub: the control catalog, ASFF parsing and the collectors."""
