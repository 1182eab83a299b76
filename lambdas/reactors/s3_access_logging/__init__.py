"""AFSBP S3.9 and CloudTrail.7: turn on server access logging of a bucket (or a trail's bucket)."""
