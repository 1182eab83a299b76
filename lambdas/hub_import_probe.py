"""Hub: import a published reactor alone, with no power, for the verifier (AWS).

On AWS the verifier (``lambdas/hub_verify.py``) cannot confine an import in a child process (no
root, no namespaces in Lambda), so it invokes this function with the artifact instead
(`ouroboros.reactors.isolation`, ``OUROBOROS_HUB_IMPORT_FUNCTION``). This function is the
confinement: its role grants nothing (bootstrap gives it no grant, only its log group), its
environment carries no setting of the Hub (no table, bucket, key or webhook), and it imports the
package in a child process with an empty environment (``python -I -S``, only the zip and the
Lambda runtime's boto3 on the path). What the author's code can reach here is its own artifact
and credentials that may do nothing.

Input: ``{"package": "<name>", "artifact": "<base64 zip>"}``. Output: the introspection
(``reactors``, ``errors``, ``sdk_file``); a malformed input or an artifact that cannot be imported
is reported in ``errors`` (a verdict), never raised.
"""

from __future__ import annotations

import base64
import binascii
import re
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ouroboros.observability.logging import function_handler
from ouroboros.reactors.errors import ArtifactError
from ouroboros.reactors.isolation import REMOTE_ARTIFACT_MAX, package_introspect

PACKAGE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,63}")


def _refused(reason: str) -> dict[str, Any]:
    return {"reactors": [], "errors": [reason], "sdk_file": ""}


@function_handler("hub_import_probe")
def handler(event: Any, context: Any = None) -> dict[str, Any]:
    if not isinstance(event, dict):
        return _refused("import probe input: expected an object")
    package, encoded = event.get("package"), event.get("artifact")
    if not isinstance(package, str) or not PACKAGE_NAME.fullmatch(package):
        return _refused("import probe input: package must be a Python package name")
    if not isinstance(encoded, str) or len(encoded) > REMOTE_ARTIFACT_MAX * 4 // 3 + 4:
        return _refused("import probe input: artifact must be a base64 zip within the limit")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return _refused("import probe input: artifact is not valid base64")
    with tempfile.TemporaryDirectory(prefix="ouroboros-probe-") as tmp:
        path = Path(tmp) / "artifact.zip"
        path.write_bytes(data)
        try:
            return asdict(package_introspect(path, package=package))
        except ArtifactError as exc:
            return _refused(str(exc))
