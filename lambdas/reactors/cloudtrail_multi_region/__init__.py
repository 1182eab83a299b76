"""AFSBP CloudTrail.1 and CloudTrail.3: a logging multi-Region CloudTrail trail in the account."""
