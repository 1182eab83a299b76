"""The production storage of static files: URLs under the stage path, one gzip copy, no maps.

On its default URL the console lives under API Gateway's stage path
(``https://<api>.execute-api.<region>.amazonaws.com/console/``): Zappa passes ``/console`` as the
request's ``SCRIPT_NAME`` (none on a custom domain) and the path after it as ``PATH_INFO``.
Django's ``reverse()`` follows the script name of each request; ``STATIC_URL`` does not (a
relative one is prefixed once, with the script prefix current when it is first read, which is
WhiteNoise's start-up, outside any request: ``/``). So ``STATIC_URL`` stays the path inside the
application, ``/static/``, where WhiteNoise serves (it matches ``PATH_INFO``), and `url` puts the
request's script name in front, as ``reverse()`` does: ``/console/static/...`` on the stage URL,
``/static/...`` on a custom domain, with no setting to keep in step.

``collectstatic`` runs at packaging time (`deploy.runtime_env.static_collect`) and its output
ships in the console's Lambda package, so every file it writes counts against the package size.
WhiteNoise's ``CompressedManifestStaticFilesStorage`` would write, for each asset, the original
name, the hashed name, and a ``.gz`` and a ``.br`` of both. This keeps:

- the hashed name only (``WHITENOISE_KEEP_ONLY_HASHED_FILES`` in the production settings): pages
  link assets through ``{% static %}``, which resolves through the manifest to hashed names;
- one compressed copy, gzip: every HTTP client accepts it, where brotli would save ~15% more
  of a transfer that is already far-future cached, and would make the build depend on the
  ``brotli`` module being installed (WhiteNoise silently skips it otherwise);
- no source maps (``*.map``): only browser developer tools fetch them (a missing one is a console
  warning there), and the Swagger UI's alone are several MB. They are deleted after the manifest
  is built, because the hashed bundles still name them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.urls import get_script_prefix
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

SOURCE_MAP_SUFFIX = ".map"


class PackagedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage: URLs under the request's script name, gzip only, no maps."""

    def url(self, name: str | None, force: bool = False) -> str:
        url = super().url(name, force)
        prefix = get_script_prefix().rstrip("/")  # "" outside a request and at the root
        if prefix and url.startswith("/") and not url.startswith(("//", f"{prefix}/")):
            return f"{prefix}{url}"
        return url

    def create_compressor(self, **kwargs: Any) -> Compressor:
        extensions = kwargs.pop("extensions", None) or Compressor.SKIP_COMPRESS_EXTENSIONS
        return Compressor(
            extensions=[*extensions, SOURCE_MAP_SUFFIX.lstrip(".")], use_brotli=False, **kwargs
        )

    def post_process(self, *args: Any, **kwargs: Any) -> Iterator[tuple[str, str, Any]]:
        yield from super().post_process(*args, **kwargs)
        if not kwargs.get("dry_run"):
            for path in sorted(Path(self.location).rglob(f"*{SOURCE_MAP_SUFFIX}")):
                path.unlink()
