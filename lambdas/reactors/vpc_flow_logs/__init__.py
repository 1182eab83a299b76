"""AFSBP EC2.6: turn on VPC flow logging (rejected traffic at least) to an S3 bucket."""
