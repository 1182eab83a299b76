"""AFSBP EKS.1: make an EKS cluster's API endpoint private."""
