"""AFSBP ECR.1: scan images on push in an ECR private repository."""
