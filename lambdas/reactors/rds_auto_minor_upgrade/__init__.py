"""AFSBP RDS.13: turn on automatic minor version upgrades of an RDS DB instance."""
