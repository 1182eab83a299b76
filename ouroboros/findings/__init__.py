"""Findings: normalized Security Hub findings (services write, selectors read)."""
