"""AFSBP RDS.2: make an RDS DB instance not publicly accessible."""
