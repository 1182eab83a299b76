"""Reading the Hub: its catalog of verified reactors, their versions, and their artifacts.

The catalog is one Query on ``catalog-index`` (only the latest verified version of each reactor
carries ``latest``), with a ``contains`` filter on ``search_text`` when searching, paginated by an
opaque cursor signed and bound to the search like every list's (`ouroboros.pagination`): an
edited, forged or foreign cursor is an `InvalidCursorError` (HTTP 400), never a DynamoDB key.
Artifacts live in the Hub's bucket (``OUROBOROS_HUB_BUCKET``); consumers download them by
pre-signed URL, or directly with S3 GetObject when the bucket policy lets them. With
``OUROBOROS_HUB_ROLE_ARN`` set (a Hub in another account), a consumer reads both the Hub's
tables and its artifacts through the Hub's reader role (`ouroboros.models.binding.hub_session`);
without it, with its own credentials.

The catalog shows the Hub's ``status`` as recorded; it does not check signatures. The gate is the
installer: it installs nothing without the verifier's signed verdict on exactly the artifact's
bytes and permissions (`ouroboros.reactors.verdict`), so a version the publisher marked
``verified`` by hand may be listed, but an install of it ends ``failed`` with the reason and
creates nothing. (Checking every listed item would cost a read per row on every catalog page.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ouroboros.aws import client
from ouroboros.config import get_config
from ouroboros.models import HubReactorModel
from ouroboros.models.binding import hub_session
from ouroboros.pagination import InvalidCursorError, QuerySource, cursor_decode, cursor_encode
from ouroboros.reactors.errors import ArtifactError, ReactorNotFoundError
from ouroboros.reactors.manifest import manifest_core

LATEST = "LATEST"
MAX_PAGE = 100


@dataclass
class CatalogPage:
    """One page of the catalog and the cursor of the next one (None: last page)."""

    items: list[HubReactorModel] = field(default_factory=list)
    next_cursor: str | None = None


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a MAJOR.MINOR.PATCH version (non-numbers sort first)."""
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def search_text(manifest: dict[str, Any]) -> str:
    """What a catalog search matches against (lower case)."""
    parts = [manifest.get("id", ""), manifest.get("title", ""), *manifest.get("control_ids", [])]
    parts.append(manifest.get("description", ""))
    return " ".join(str(p) for p in parts).lower()[:4000]


#: The one Query of the catalog, as `ouroboros.pagination` binds cursors to it.
_CATALOG = QuerySource("catalog-index", LATEST, ("reactor_id", "version", "latest"), "reactor_id")


def _scope(search: str) -> str:
    return f"hub-catalog|{search}"


def _encode(key: dict[str, Any] | None, search: str) -> str | None:
    if not key:
        return None
    return cursor_encode(scope=_scope(search), sources=[_CATALOG], positions=[key])


def _decode(cursor: str | None, search: str) -> dict[str, Any] | None:
    """The catalog-index key a cursor holds (None: the first page); `InvalidCursorError` unless
    this list issued it for this search."""
    if not cursor:
        return None
    [position] = cursor_decode(cursor, scope=_scope(search), sources=[_CATALOG])
    if not isinstance(position, dict) or position["latest"] != {"S": LATEST}:
        raise InvalidCursorError(
            "This page link does not fit this list. Start from the first page."
        )
    return position


def hub_catalog_list(
    *, search: str = "", limit: int = 50, cursor: str | None = None
) -> CatalogPage:
    """Latest verified version of each reactor, by id; ``search`` matches id, title, controls,
    description (case-insensitive). `InvalidCursorError` for a cursor this search did not issue."""
    limit = max(1, min(limit, MAX_PAGE))
    words = search.strip().lower()
    condition = HubReactorModel.search_text.contains(words) if words else None
    result = HubReactorModel.catalog_index.query(
        LATEST,
        filter_condition=condition,
        limit=limit,
        last_evaluated_key=_decode(cursor, words),
    )
    items = list(result)
    return CatalogPage(items=items, next_cursor=_encode(result.last_evaluated_key, words))


def hub_reactor_versions(*, reactor_id: str) -> list[HubReactorModel]:
    """Every published version of ``reactor_id`` (any status), newest first."""
    items = list(HubReactorModel.query(reactor_id))
    return sorted(items, key=lambda item: version_key(item.version), reverse=True)


def hub_reactor_get(*, reactor_id: str, version: str | None = None) -> HubReactorModel:
    """One published version; without ``version`` the latest verified one."""
    if version:
        try:
            return HubReactorModel.get(reactor_id, version)
        except HubReactorModel.DoesNotExist:
            raise ReactorNotFoundError(f"no reactor {reactor_id} {version} in the Hub") from None
    for item in hub_reactor_versions(reactor_id=reactor_id):
        if item.status == "verified":
            return item
    raise ReactorNotFoundError(f"no verified version of reactor {reactor_id} in the Hub")


def hub_reactor_manifest(item: HubReactorModel) -> dict[str, Any]:
    """The manifest of a published version as a plain dict (without sha256 / size)."""
    return manifest_core(item.manifest.as_dict() if item.manifest is not None else {})


def _hub_s3() -> Any:
    region = get_config().hub_region_name
    return client("s3", region=region, session=hub_session())


def hub_artifact_url(*, artifact_key: str, expires_in: int = 300) -> str:
    """A pre-signed GET URL of an artifact in the Hub's bucket."""
    return str(
        _hub_s3().generate_presigned_url(
            "get_object",
            Params={"Bucket": get_config().hub_bucket, "Key": artifact_key},
            ExpiresIn=expires_in,
        )
    )


def hub_artifact_fetch(*, artifact_key: str) -> bytes:
    """The bytes of an artifact in the Hub's bucket; `ArtifactError` when it is missing."""
    bucket = get_config().hub_bucket
    try:
        response = _hub_s3().get_object(Bucket=bucket, Key=artifact_key)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "NoSuchBucket", "404", "AccessDenied", "403"):
            raise ArtifactError(f"artifact s3://{bucket}/{artifact_key}: {code}") from exc
        raise
    return bytes(response["Body"].read())
