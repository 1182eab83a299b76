"""AFSBP GuardDuty.1: turn GuardDuty on in the finding's account and region."""
