"""AFSBP CloudTrail.2: encrypt a CloudTrail trail's log files with a KMS key."""
