"""Findings: the normalized Security Hub findings kept in ``security_findings``."""
