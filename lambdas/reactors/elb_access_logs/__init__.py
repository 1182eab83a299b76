"""AFSBP ELB.5: turn on access logging of an Application or Classic Load Balancer."""
