"""AFSBP IAM.8 and IAM.22: deactivate IAM user credentials that went unused too long."""
