"""AFSBP IAM.3: deactivate IAM access keys older than the rotation period."""
