"""AFSBP Redshift.1: make a Redshift cluster unreachable from the internet."""
