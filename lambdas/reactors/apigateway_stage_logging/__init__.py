"""AFSBP APIGateway.1: turn on execution logging for an API Gateway REST API stage."""
