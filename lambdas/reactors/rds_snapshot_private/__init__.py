"""AFSBP RDS.1 and DocumentDB.3: stop sharing RDS and DocumentDB snapshots with everyone."""
