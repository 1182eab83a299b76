"""AFSBP ELB.6: turn on deletion protection of a load balancer."""
