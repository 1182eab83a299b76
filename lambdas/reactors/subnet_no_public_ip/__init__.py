"""AFSBP EC2.15: stop a subnet from giving public IPv4 addresses to the instances launched in it."""
