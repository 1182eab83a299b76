"""AFSBP S3.2: remove the bucket policy statements that allow public reads."""
