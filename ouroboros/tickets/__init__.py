"""Tickets: a control's findings land in a team's queue (Jira Cloud, ServiceNow) with what
Ouroboros would change, instead of or after a fix (`ouroboros.tickets.services`)."""
