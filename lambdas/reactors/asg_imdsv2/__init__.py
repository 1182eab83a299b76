"""AFSBP AutoScaling.3: Auto Scaling groups launch instances that require IMDSv2."""
