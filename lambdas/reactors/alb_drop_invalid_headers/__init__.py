"""AFSBP ELB.4: make an Application Load Balancer drop invalid HTTP headers."""
