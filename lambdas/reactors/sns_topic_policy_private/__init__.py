"""AFSBP SNS.4: remove public statements from an SNS topic's access policy."""
