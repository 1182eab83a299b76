"""Management commands for every job a Lambda function does, plus the local runtime."""
