"""AFSBP Config.1: turn on AWS Config recording in a region of an account."""
