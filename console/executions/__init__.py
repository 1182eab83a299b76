"""Console pages of executions: every remediation attempt, and what one changed."""
