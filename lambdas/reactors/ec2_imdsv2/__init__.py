"""AFSBP EC2.8: require IMDSv2 (session tokens) on an EC2 instance's metadata service."""
