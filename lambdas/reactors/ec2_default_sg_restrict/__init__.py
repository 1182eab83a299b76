"""AFSBP EC2.2: remove every rule of a VPC's default security group."""
