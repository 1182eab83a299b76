"""AFSBP S3.8: turn on S3 Block Public Access on a bucket."""
