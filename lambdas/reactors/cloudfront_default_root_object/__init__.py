"""AFSBP CloudFront.1: set a default root object on a CloudFront distribution."""
