"""Links to an execution's page in this console, for messages that leave it (tickets, chat).

`execution_path` is the console path; `execution_link` the absolute URL when the console's
address is configured (``OUROBOROS_CONSOLE_URL``, `ouroboros.config`), else the path.
"""

from __future__ import annotations

from urllib.parse import quote

from ouroboros.config import get_config


def execution_path(execution_id: str) -> str:
    """The console path of an execution's page."""
    return f"/executions/{quote(execution_id, safe='')}/"


def execution_link(execution_id: str, suffix: str = "") -> str:
    """The execution's page (``suffix``: a sub-page, e.g. ``rollback/``), absolute when the
    console's URL is known."""
    return f"{get_config().console_url}{execution_path(execution_id)}{suffix}"
