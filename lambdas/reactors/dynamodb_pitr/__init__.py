"""AFSBP DynamoDB.2: turn on point-in-time recovery of a DynamoDB table."""
