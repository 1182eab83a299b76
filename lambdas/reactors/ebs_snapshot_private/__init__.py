"""AFSBP EC2.1: make an account's public EBS snapshots private."""
