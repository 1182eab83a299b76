"""AWS access: one session factory for the caller's account and member accounts."""

from ouroboros.aws.session import (
    RETRY_CONFIG,
    assume_role_session,
    base_session,
    client,
    member_session,
    reset_sessions,
)

__all__ = [
    "RETRY_CONFIG",
    "assume_role_session",
    "base_session",
    "client",
    "member_session",
    "reset_sessions",
]
