"""Observability of the deployed functions: structured JSON log lines with a correlation id
(`ouroboros.observability.logging`) and CloudWatch metrics in the embedded metric format
(`ouroboros.observability.metrics`), both through Powertools for AWS Lambda.

The metric names and dimensions are public constants of `ouroboros.observability.metrics`:
bootstrap's alarms and dashboard read them from there.
"""
