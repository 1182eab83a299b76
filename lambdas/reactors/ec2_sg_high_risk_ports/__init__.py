"""AFSBP EC2.19: close high-risk ports open to the internet in a security group."""
