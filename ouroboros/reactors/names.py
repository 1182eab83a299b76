"""The names of installed reactors' functions and roles: their own namespace.

A reactor ``<id>`` runs as the Lambda function ``ouroboros-<stage>-rx-<id>`` with the IAM role of
the same name. The ``rx`` segment is the reactors' namespace: no platform function or role
(``ouroboros-<stage>-<key>``, `deploy.functions`) starts with it, so no reactor id can name the
installer or any other platform function (once ``ouroboros-<stage>-reactor-installer`` could be
overwritten, then deleted, by a reactor with id ``installer``), and the installer's own grants
(``deploy.iam``: functions and roles ``ouroboros-<stage>-rx-*``) do not cover itself.

Defence in depth on top of the namespace: ids that read as platform parts (`RESERVED_IDS`) are
refused, a name longer than Lambda's and IAM's 64 characters is refused rather than cut (a cut
name could be another reactor's), and the installer refuses, before creating anything, a function
or role of that name it did not create for that reactor (its ``ouroboros:reactor-id`` tag).
"""

from __future__ import annotations

from ouroboros.config import get_config

#: The tag the installer puts on each reactor function and role it creates.
REACTOR_TAG = "ouroboros:reactor-id"
NAME_MAX = 64
#: Ids that name parts of the platform (function keys, hyphenated) or read as if they did: defence
#: in depth (the ``rx`` name space is what keeps reactors off platform names).
RESERVED_IDS = frozenset(
    {
        "installer",
        "reactor-installer",
        "boundary",
        "reactor-boundary",
        "console",
        "workers",
        "hub",
        "hub-verify",
        "hub-import-probe",
        "member",
        "ouroboros",
        "collect-controls",
        "collect-findings",
        "dispatch-failure",
        "dispatch-finding",
        "finding-imported",
        "notify-subscriber",
        "parse-finding",
        "send-notification",
    }
)


def reactor_function_prefix(stage: str | None = None) -> str:
    """Every reactor function and role name starts with this (``ouroboros-<stage>-rx-``)."""
    return f"ouroboros-{stage or get_config().stage}-rx-"


def reactor_function_name(reactor_id: str) -> str:
    """The Lambda function (and IAM role) name of an installed reactor."""
    return f"{reactor_function_prefix()}{reactor_id}"


def reactor_id_problems(reactor_id: str) -> list[str]:
    """Why ``reactor_id`` cannot be installed under its name (empty: it can)."""
    problems = []
    if reactor_id in RESERVED_IDS:
        problems.append(f"reactor id {reactor_id!r} is reserved for the platform")
    name = reactor_function_name(reactor_id)
    if len(name) > NAME_MAX:
        problems.append(f"function name {name} is over {NAME_MAX} characters (a shorter id)")
    return problems
