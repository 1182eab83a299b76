"""AFSBP DynamoDB.6: turn on deletion protection of a DynamoDB table."""
