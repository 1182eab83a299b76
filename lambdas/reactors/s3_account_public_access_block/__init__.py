"""AFSBP S3.1: turn on S3 Block Public Access for the whole account."""
