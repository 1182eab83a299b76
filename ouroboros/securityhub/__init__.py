"""Security Hub: the control catalog, ASFF parsing, the collectors and the workflow's write-back."""
