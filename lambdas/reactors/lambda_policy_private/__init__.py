"""AFSBP Lambda.1: remove public statements from a Lambda function's resource policy."""
