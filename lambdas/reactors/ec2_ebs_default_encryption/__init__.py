"""AFSBP EC2.7: turn on EBS encryption by default in a region."""
