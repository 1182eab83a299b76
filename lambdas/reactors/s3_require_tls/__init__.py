"""AFSBP S3.5: deny requests to a bucket that do not use TLS."""
