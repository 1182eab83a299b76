"""AFSBP SQS.1: encrypt an SQS queue at rest."""
