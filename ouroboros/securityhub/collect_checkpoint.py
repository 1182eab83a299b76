"""Where a findings sync stands between invocations, and the pages it reads from there.

A first full sync of a large organization takes longer than one collector invocation (GetFindings
serves 3 pages of 100 a second: about 56 minutes per million findings; a Lambda has 900 s), so
`ouroboros.securityhub.collect_findings.findings_collect` keeps a `SyncCheckpoint` in the sync
state (`ouroboros.aggregates.sync_state_set`, item ``sync#findings_checkpoint``, one JSON value):
the run's range ``[start, end]`` and sources, the source being read, its request's ``UpdatedAt``
start, the ``NextToken`` after the last complete page and that page's last ``UpdatedAt``, and
counts (pages, findings read, resumes) that the dashboard shows (`sync_progress`).

`CheckpointedPages` reads one source's pages from a checkpoint, 100 at a time, sorted by
``UpdatedAt`` ascending, and notes the cursor after each page; it stops before the next request
when the invocation's time is nearly up (``time_left`` below ``margin``). A stored token can
expire (AWS does not document how long one lives; the local Security Hub expires them after a
configurable age): a request with a token answered ``InvalidInputException`` (GetFindings) or
``ValidationException`` (GetFindingsV2) is asked again without the token, over the range starting
at the last complete page's ``UpdatedAt``. The sort makes this sound: everything before that
instant was read; the findings at that instant are read again, and re-reading writes nothing (the
content hash).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from botocore.exceptions import ClientError

from ouroboros.aggregates import sync_state_get, sync_state_read, sync_state_set
from ouroboros.errors import ThrottledError

logger = logging.getLogger(__name__)

CHECKPOINT = "findings_checkpoint"
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException"})
#: The error codes of a request whose NextToken is no longer valid, by source.
TOKEN_REFUSED = {"GetFindings": "InvalidInputException", "GetFindingsV2": "ValidationException"}
#: GetFindingsV2's sort and date field: OCSF's ``UpdatedAt``.
V2_MODIFIED = "finding_info.modified_time_dt"
RECORD_STATES = ("ACTIVE", "ARCHIVED")

Page = list[Mapping[str, Any]]


@dataclass
class SyncCheckpoint:
    """A findings sync's progress (see the module docstring); ``done`` once it completed."""

    mode: str
    start: str | None
    end: str
    sources: list[str]
    started_at: str
    source_index: int = 0
    #: The ``UpdatedAt`` start of the current source's requests (the run's, or a fallback's).
    range_start: str | None = None
    next_token: str | None = None
    last_updated_at: str | None = None
    pages: int = 0
    read: int = 0
    resumes: int = 0
    expired_tokens: int = 0
    done: bool = False
    updated_at: str | None = None

    @property
    def source(self) -> str:
        return self.sources[self.source_index]

    def source_next(self) -> None:
        """The current source is read to the end: the next starts over the run's range."""
        self.source_index += 1
        self.range_start, self.next_token, self.last_updated_at = self.start, None, None

    def as_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> SyncCheckpoint | None:
        """The checkpoint stored as ``text``; None (with a warning) if it cannot be read."""
        try:
            data = json.loads(text)
            known = {f.name for f in fields(cls)}
            return cls(**{k: v for k, v in data.items() if k in known})
        except (TypeError, ValueError) as exc:
            logger.warning("unreadable findings sync checkpoint, starting over: %s", exc)
            return None


def checkpoint_load() -> SyncCheckpoint | None:
    """The stored checkpoint of the findings sync, if any."""
    text = sync_state_get(CHECKPOINT)
    return SyncCheckpoint.from_json(text) if text else None


def checkpoint_save(checkpoint: SyncCheckpoint, *, now: str) -> None:
    checkpoint.updated_at = now
    sync_state_set(CHECKPOINT, checkpoint.as_json())


def sync_progress() -> dict[str, Any] | None:
    """What the dashboard shows of the last findings sync: mode, findings read, started at,
    resumes, done or in progress, last checkpoint; None before the first one (read by Query)."""
    text = sync_state_read(CHECKPOINT)
    checkpoint = SyncCheckpoint.from_json(text) if text else None
    if checkpoint is None:
        return None
    return {
        "mode": checkpoint.mode,
        "read": checkpoint.read,
        "pages": checkpoint.pages,
        "started_at": checkpoint.started_at,
        "resumes": checkpoint.resumes,
        "done": checkpoint.done,
        "updated_at": checkpoint.updated_at,
    }


def findings_filters(*, start: str | None, end: str) -> dict[str, Any]:
    """GetFindings filters of a sync: both record states, ``UpdatedAt`` in [start, end]."""
    updated: dict[str, str] = {"End": end}
    if start:
        updated["Start"] = start
    return {
        "RecordState": [{"Value": state, "Comparison": "EQUALS"} for state in RECORD_STATES],
        "UpdatedAt": [updated],
    }


def findings_v2_filters(*, start: str | None, end: str) -> dict[str, Any] | None:
    """GetFindingsV2 filters of a sync: ``finding_info.modified_time_dt`` in [start, end]; None
    (every finding) for a full sync, as GetFindingsV2's date filter wants both ends."""
    if not start:
        return None
    window = {"FieldName": V2_MODIFIED, "Filter": {"Start": start, "End": end}}
    return {
        "CompositeOperator": "AND",
        "CompositeFilters": [{"Operator": "AND", "DateFilters": [window]}],
    }


def source_request(source: str, *, start: str | None, end: str) -> dict[str, Any]:
    """The request of one page of ``source`` over [start, end], oldest first (no token)."""
    if source == "GetFindings":
        return {
            "Filters": findings_filters(start=start, end=end),
            "SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "asc"}],
        }
    request: dict[str, Any] = {"SortCriteria": [{"Field": V2_MODIFIED, "SortOrder": "asc"}]}
    filters = findings_v2_filters(start=start, end=end)
    if filters:
        request["Filters"] = filters
    return request


def page_updated_at(source: str, page: Page) -> str | None:
    """The ``UpdatedAt`` of a page's last finding (the page is sorted on it)."""
    if not page:
        return None
    last = page[-1]
    if source == "GetFindings":
        value = last.get("UpdatedAt")
    else:
        info = last.get("finding_info")
        value = info.get("modified_time_dt") if isinstance(info, Mapping) else None
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Cursor:
    """Where a source stands after one page: what a checkpoint stores."""

    range_start: str | None
    next_token: str | None
    last_updated_at: str | None
    #: Pages and findings read from the reader's start to this page, inclusive.
    pages: int
    read: int


@dataclass
class CheckpointedPages:
    """The pages of ``checkpoint``'s current source from where it stands (module docstring)."""

    client: Any
    checkpoint: SyncCheckpoint
    page_size: int
    time_left: Callable[[], float] | None = None
    margin: float = 0.0
    #: The cursor after each page yielded, in order (appended before the page is yielded).
    cursors: list[Cursor] = field(default_factory=list)
    #: True when reading stopped for time, before the source's last page.
    stopped: bool = False
    expired_tokens: int = 0

    def _out_of_time(self) -> bool:
        return self.time_left is not None and self.time_left() < self.margin

    def __iter__(self) -> Iterator[Page]:
        source = self.checkpoint.source
        operation = "get_findings" if source == "GetFindings" else "get_findings_v2"
        start, token = self.checkpoint.range_start, self.checkpoint.next_token
        last = self.checkpoint.last_updated_at
        pages = read = 0
        while True:
            if self._out_of_time():
                self.stopped = True
                return
            request = source_request(source, start=start, end=self.checkpoint.end)
            request["MaxResults"] = self.page_size
            if token:
                request["NextToken"] = token
            try:
                response = getattr(self.client, operation)(**request)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code in THROTTLING_CODES:
                    raise ThrottledError(f"Security Hub {source} kept throttling") from exc
                if token and code == TOKEN_REFUSED[source]:
                    # An expired token: the range from the last complete page, without it.
                    logger.warning(
                        "%s refused a stored NextToken (%s): resuming from %s", source, exc, last
                    )
                    self.expired_tokens += 1
                    start, token = last or start, None
                    continue
                raise
            page: Page = list(response.get("Findings") or [])
            token = response.get("NextToken") or None
            last = page_updated_at(source, page) or last
            pages, read = pages + 1, read + len(page)
            self.cursors.append(Cursor(start, token, last, pages, read))
            yield page
            if token is None:
                return
