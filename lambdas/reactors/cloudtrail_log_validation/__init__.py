"""AFSBP CloudTrail.4: turn on log file validation of a trail."""
