"""AFSBP KMS.3: cancel the scheduled deletion of a KMS key."""
