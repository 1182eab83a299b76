"""AFSBP SNS.1: encrypt an SNS topic at rest with KMS."""
