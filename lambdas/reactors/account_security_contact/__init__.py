"""AFSBP Account.1: register the security contact of an AWS account."""
