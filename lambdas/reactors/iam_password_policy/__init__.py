"""AFSBP IAM.7: a strong IAM password policy for the account."""
