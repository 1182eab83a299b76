"""Console actions of the remediation workflow: Remediate now (and dry run), Roll back."""
