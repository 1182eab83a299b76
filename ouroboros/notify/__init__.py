"""Notifications: the workflow's outcomes published to SNS (`outcomes`), formatters per channel
(`formats`) and the SNS subscriber that posts them to chat (`delivery`).
"""
