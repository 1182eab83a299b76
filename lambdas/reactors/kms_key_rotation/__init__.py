"""AFSBP KMS.4: turn on automatic rotation of a KMS key."""
