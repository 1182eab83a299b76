"""AFSBP SSM.4: stop sharing an SSM document publicly."""
