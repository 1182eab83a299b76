"""Every setting a deployed function reads is provided by the generated deploy configuration.

For each function of `deploy.functions`, `tests.deploy.settings_reads` finds statically what its
handler's code reads (environment variables, configuration fields, Django settings; code only
the emulator, the local management commands or the tests import is never reached from a
handler, so it does not count). Each read is provided when:

- the function's generated Zappa settings deliver it (``aws_environment_variables``; the console
  also ``environment_variables``, which only Zappa's WSGI handler applies);
- Lambda sets it (`LAMBDA_PROVIDED`);
- ``<NAME>_PARAMETER`` is delivered and read too (that read is checked on its own: a delivered
  parameter name must be under ``/ouroboros/<stage>/`` and be a parameter bootstrap creates or
  the README tells the operator to create);
- or its default is valid on AWS: not a local file, not localhost / 127.0.0.1, not "unset",
  and not a setting `REQUIRED_ON_AWS` where it is read.

A failure names the function, the setting, the file:line reading it and why nothing provides it.
The generated settings are those of the committed ``deploy.toml``. `KNOWN_GAPS` lists the gaps
another issue owns; the test fails when one of them is no longer a gap.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from deploy.config_file import deploy_config_read
from deploy.functions import FUNCTIONS, FunctionSpec, function_get
from deploy.supporting import SECRET_KEY_PARAMETER
from deploy.zappa_settings import WEBHOOK_PARAMETERS, zappa_settings_build
from tests.deploy.settings_reads import ROOT, SSM_PREFIX, Default, SettingRead, handler_reads

#: Set by the Lambda runtime in every function's environment.
LAMBDA_PROVIDED = frozenset(
    {
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_XRAY_CONTEXT_MISSING",
        "AWS_XRAY_DAEMON_ADDRESS",
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "LANG",
        "LD_LIBRARY_PATH",
        "PATH",
        "PYTHONPATH",
        "TZ",
    }
)


@dataclass(frozen=True)
class Requirement:
    """A setting whose default is syntactically fine but wrong on AWS where ``modules`` read it."""

    why: str
    modules: frozenset[str]
    sides: frozenset[str] = frozenset({"consumer", "hub"})


REQUIRED_ON_AWS: dict[str, Requirement] = {
    "OUROBOROS_EXTERNAL_ID": Requirement(
        "empty sends no ExternalId, but the installer hands it to every reactor and the member "
        "role (deploy/member_role.py) demands sts:ExternalId",
        frozenset({"ouroboros/reactors/installer.py"}),
    ),
    "OUROBOROS_HUB_BUCKET": Requirement(
        "the default 'ouroboros-hub-artifacts' is not the bucket bootstrap creates "
        "(ouroboros-<stage>-hub-artifacts-<account>, deploy/naming.py)",
        frozenset({"ouroboros/reactors/catalog.py", "console/settings/base.py"}),
    ),
    "OUROBOROS_HUB_ROLE_ARN": Requirement(
        "empty reads the Hub's private bucket with the consumer's own credentials, which the "
        "Hub account does not grant (its bucket has no policy; the hub_read grant expects a role)",
        frozenset({"ouroboros/reactors/catalog.py"}),
        frozenset({"consumer"}),
    ),
}

#: Gaps a later issue owns, each naming it (none today: ``deploy.toml`` delivers the ExternalId
#: and the Hub's role and bucket). The test fails when one of them is no longer a gap.
KNOWN_GAPS: dict[tuple[str, str], str] = {}


_LOCAL = re.compile(r"127\.0\.0\.1|localhost|sqlite:|file:|^\.{1,2}(/|\w)|^~|^/(?!tmp(/|$))")


def default_valid_on_aws(default: Default) -> bool:
    """A literal or computed default that points at no local file and no local address."""
    if default.kind == "computed":
        return True
    return default.kind == "literal" and not _LOCAL.search(default.text)


# --- what the deployment provides ----------------------------------------------------------


def handler_roots(spec: FunctionSpec, stage_settings: Mapping[str, Any]) -> list[str]:
    """The handler module, and for the console the Django settings module Zappa loads."""
    roots = [spec.module]
    if stage_settings.get("django_settings"):
        roots.append(str(stage_settings["django_settings"]))
    return roots


def delivered_environment(settings: Mapping[str, Mapping[str, Any]], key: str) -> dict[str, str]:
    """The environment ``key``'s Lambda function gets from its Zappa stage (``extends`` followed).

    ``environment_variables`` counts only where Zappa's own handler runs (not ``lambda_handler``).
    """
    stage = dict(settings[key])
    parent = stage.get("extends")
    merged = {**settings[parent], **stage} if parent else stage
    env = dict(merged.get("aws_environment_variables") or {})
    if not merged.get("lambda_handler"):
        env.update(merged.get("environment_variables") or {})
    return env


@cache
def _readme() -> str:
    return (ROOT / "README.md").read_text()


def parameter_provided(value: str, stage: str) -> str | None:
    """Why the SSM parameter ``value`` will exist on AWS, or None."""
    prefix = f"/ouroboros/{stage}/"
    if not value.startswith(prefix):
        return None
    name = value.removeprefix(prefix)
    if name == SECRET_KEY_PARAMETER:
        return "bootstrap creates it"
    if re.search(rf"/ouroboros/[^/\s]+/{re.escape(name)}\b", _readme()):
        return "the README tells the operator to create it"
    return None


@dataclass(frozen=True)
class Gap:
    function: str
    setting: str
    reads: tuple[SettingRead, ...]
    why: str

    def lines(self) -> list[str]:
        return [
            f"{self.function}: {self.setting} read at {r.where} ({r.via}): {self.why}"
            for r in self.reads
        ]


def _why_not(
    read: SettingRead,
    env: Mapping[str, str],
    read_settings: set[str],
    spec: FunctionSpec,
    stage: str,
) -> str | None:
    """None when ``read`` is provided on AWS, else why it is not."""
    setting = read.setting
    assert setting is not None
    if setting.startswith(SSM_PREFIX):
        if parameter_provided(setting.removeprefix(SSM_PREFIX), stage):
            return None
        return (
            f"SSM parameter {setting.removeprefix(SSM_PREFIX)!r}: neither bootstrap creates it "
            f"nor the README tells the operator to create it under /ouroboros/{stage}/"
        )
    if setting in env:
        if setting.endswith("_PARAMETER") and not parameter_provided(env[setting], stage):
            return (
                f"delivered as {env[setting]!r}, a parameter neither bootstrap creates nor the "
                f"README tells the operator to create under /ouroboros/{stage}/"
            )
        return None
    if setting in LAMBDA_PROVIDED:
        return None
    if f"{setting}_PARAMETER" in env and f"{setting}_PARAMETER" in read_settings:
        return None  # read from that parameter (whose own read is checked on its own)
    requirement = REQUIRED_ON_AWS.get(setting)
    required_here = (
        requirement is not None
        and read.path in requirement.modules
        and spec.side in requirement.sides
    )
    if setting.endswith("_PARAMETER") and read.default.kind == "literal":
        if parameter_provided(read.default.text, stage):  # a default parameter name
            return None
    elif default_valid_on_aws(read.default) and not required_here:
        return None
    reason = {
        "required": "read without a default",
        "unset": "read without a default (unset, it is not configured at all)",
        "call": f"the fallback {read.default.text} is computed locally",
        "literal": f"the default {read.default.text!r} points at a local file or address",
        "computed": "its computed default",
    }[read.default.kind]
    if required_here and requirement is not None:
        reason = requirement.why
    return f"not delivered by zappa_settings, not set by Lambda, no SSM parameter; {reason}"


def function_gaps(
    spec: FunctionSpec,
    settings: Mapping[str, Mapping[str, Any]],
    reads: list[SettingRead],
    stage: str = "prod",
) -> list[Gap]:
    """The settings ``reads`` need that ``settings`` do not provide to ``spec``."""
    env = delivered_environment(settings, spec.key)
    read_settings = {r.setting for r in reads if r.setting}
    gaps: dict[tuple[str, str], list[SettingRead]] = {}
    for read in reads:
        if read.setting is None:
            continue
        why = _why_not(read, env, read_settings, spec, stage)
        if why is not None:
            gaps.setdefault((read.setting, why), []).append(read)
    return [
        Gap(spec.key, setting, tuple(sorted(found, key=lambda r: (r.path, r.line))), why)
        for (setting, why), found in sorted(gaps.items())
    ]


def function_reads(
    spec: FunctionSpec, settings: Mapping[str, Mapping[str, Any]], root: Path = ROOT
) -> list[SettingRead]:
    """Every setting read by code that can run from ``spec``'s handler."""
    parent = settings.get(str(settings[spec.key].get("extends")), {})
    roots = handler_roots(spec, {**parent, **settings[spec.key]})
    return handler_reads(spec.module, spec.handler.rsplit(".", 1)[1], tuple(roots[1:]), root)


# --- tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated() -> dict[str, dict[str, Any]]:
    """What the committed ``deploy.toml`` generates (the committed ``zappa_settings.json``)."""
    return zappa_settings_build(
        config=deploy_config_read(ROOT / "deploy.toml"), include_planned=True
    )


@pytest.fixture(scope="module")
def reads(generated: dict[str, dict[str, Any]]) -> dict[str, list[SettingRead]]:
    return {spec.key: function_reads(spec, generated) for spec in FUNCTIONS}


def _all_gaps(
    generated: dict[str, dict[str, Any]], reads: dict[str, list[SettingRead]]
) -> dict[tuple[str, str], list[Gap]]:
    found: dict[tuple[str, str], list[Gap]] = {}
    for spec in FUNCTIONS:
        for gap in function_gaps(spec, generated, reads[spec.key]):
            found.setdefault((gap.function, gap.setting), []).append(gap)
    return found


def test_every_read_key_is_resolved(reads: dict[str, list[SettingRead]]) -> None:
    """A key the analysis cannot compute would hide a setting: extend the analysis, or use a
    literal name."""
    unresolved = sorted(
        {f"{r.where} ({r.via})" for found in reads.values() for r in found if r.setting is None}
    )
    assert unresolved == []


def test_the_analysis_sees_what_each_kind_of_function_reads(
    reads: dict[str, list[SettingRead]],
) -> None:
    """Guards the analysis itself: the reads below exist in the code today."""
    settings = {key: {r.setting for r in found} for key, found in reads.items()}
    assert {"DJANGO_SECRET_KEY_PARAMETER", "DATABASE_URL", "DJANGO_ALLOWED_HOSTS"} <= settings[
        "console"
    ]
    assert {"OUROBOROS_STAGE", "OUROBOROS_TABLE_PREFIX"} <= settings["collect_findings"]
    assert "OUROBOROS_REACTOR_BOUNDARY_NAME" in settings["reactor_installer"]
    assert {"OUROBOROS_SLACK_WEBHOOK_URL_PARAMETER", "OUROBOROS_WEBHOOK_URL"} <= settings[
        "notify_subscriber"
    ]
    assert "DJANGO_SECRET_KEY" not in settings["collect_findings"], "workers never load Django"


def test_every_setting_a_deployed_function_reads_is_provided(
    generated: dict[str, dict[str, Any]], reads: dict[str, list[SettingRead]]
) -> None:
    found = _all_gaps(generated, reads)
    unexpected = [
        line
        for key, gaps in sorted(found.items())
        if key not in KNOWN_GAPS
        for gap in gaps
        for line in gap.lines()
    ]
    assert unexpected == [], "\n".join(unexpected)


def test_known_gaps_are_still_gaps_and_name_the_issue(
    generated: dict[str, dict[str, Any]], reads: dict[str, list[SettingRead]]
) -> None:
    found = _all_gaps(generated, reads)
    stale = [f"{fn}: {setting}" for fn, setting in KNOWN_GAPS if (fn, setting) not in found]
    assert stale == [], f"no longer gaps, remove them from KNOWN_GAPS: {stale}"
    unnamed = [key for key, why in KNOWN_GAPS.items() if not why.startswith("issue ")]
    assert unnamed == []


def test_without_deploy_toml_the_external_id_and_the_hub_are_gaps(
    reads: dict[str, list[SettingRead]],
) -> None:
    """What issue 15 found: the defaults alone deliver neither (the test above is no tautology)."""
    found = _all_gaps(zappa_settings_build(include_planned=True), reads)
    assert {
        ("reactor_installer", "OUROBOROS_EXTERNAL_ID"),
        ("console", "OUROBOROS_HUB_BUCKET"),
    } <= set(found)


def test_the_notification_subscriber_gets_the_webhook_parameter_names(
    generated: dict[str, dict[str, Any]],
) -> None:
    env = delivered_environment(generated, "notify_subscriber")
    for setting, name in WEBHOOK_PARAMETERS.items():
        assert env[setting] == f"/ouroboros/prod/{name}"
    assert not set(WEBHOOK_PARAMETERS) & set(delivered_environment(generated, "console"))


def test_a_delivered_setting_dropped_from_the_generated_settings_is_caught(
    generated: dict[str, dict[str, Any]], reads: dict[str, list[SettingRead]]
) -> None:
    settings = copy.deepcopy(generated)
    del settings["reactor_installer"]["aws_environment_variables"][
        "OUROBOROS_REACTOR_BOUNDARY_NAME"
    ]
    spec = function_get("reactor_installer")
    (gap,) = [
        g
        for g in function_gaps(spec, settings, reads["reactor_installer"])
        if g.setting == "OUROBOROS_REACTOR_BOUNDARY_NAME"
    ]
    (line,) = gap.lines()
    prefix = "reactor_installer: OUROBOROS_REACTOR_BOUNDARY_NAME read at "
    assert line.startswith(f"{prefix}ouroboros/reactors/installer.py:")
    assert "not delivered by zappa_settings" in line


SYNTHETIC = {
    "app/__init__.py": "",
    "app/parameters.py": "def parameter_get(name):\n    return name\n",
    "app/handler.py": """
from app.settings_use import run


def handler(event, context):
    return run()
""",
    "app/settings_use.py": """
import os

from app.parameters import parameter_get

env = os.environ


def _named(name):
    return os.environ.get(f"SYNTH_{name}_URL")


def run():
    token = os.environ["SYNTH_TOKEN"]
    database = env.get("SYNTH_DATABASE", "sqlite:///local.db")
    service = os.getenv("SYNTH_SERVICE", "http://127.0.0.1:8000")
    level = os.environ.get("SYNTH_LEVEL", "INFO")
    region = os.environ.get("AWS_REGION")
    hub = os.environ["SYNTH_HUB"] if os.environ.get("SYNTH_HUB") else ""
    for channel in ("CHAT", "MAIL"):
        os.environ.get(f"SYNTH_{channel}_HOOK")
    parameter_get("/ouroboros/prod/synth-secret")
    parameter_get(os.environ.get("SYNTH_PARAMETER", "/ouroboros/prod/django-secret-key"))
    return token, database, service, level, region, hub, _named("API")


def never_called():
    return os.environ["SYNTH_DEAD"]
""",
}


def test_the_analysis_catches_a_setting_read_but_not_delivered(tmp_path: Path) -> None:
    for name, text in SYNTHETIC.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    spec = FunctionSpec(
        key="synthetic", handler="app.handler.handler", side="consumer", trigger="task"
    )
    settings: dict[str, dict[str, Any]] = {
        "synthetic": {"lambda_handler": spec.handler, "aws_environment_variables": {}}
    }
    found = function_reads(spec, settings, tmp_path)
    assert {r.setting for r in found} == {
        "SYNTH_TOKEN",
        "SYNTH_DATABASE",
        "SYNTH_SERVICE",
        "SYNTH_LEVEL",
        "AWS_REGION",
        "SYNTH_HUB",
        "SYNTH_CHAT_HOOK",
        "SYNTH_MAIL_HOOK",
        "SYNTH_API_URL",
        "ssm:/ouroboros/prod/synth-secret",
        "SYNTH_PARAMETER",
    }, "SYNTH_DEAD is in a function nothing calls"
    gaps = {g.setting: g for g in function_gaps(spec, settings, found)}
    assert sorted(gaps) == [
        "SYNTH_API_URL",
        "SYNTH_CHAT_HOOK",
        "SYNTH_DATABASE",
        "SYNTH_MAIL_HOOK",
        "SYNTH_SERVICE",
        "SYNTH_TOKEN",
        "ssm:/ouroboros/prod/synth-secret",
    ], (
        "SYNTH_LEVEL, SYNTH_PARAMETER and SYNTH_HUB (guarded by its own get) have defaults valid "
        "on AWS, Lambda sets AWS_REGION"
    )
    (token,) = gaps["SYNTH_TOKEN"].lines()
    assert token.startswith(
        "synthetic: SYNTH_TOKEN read at app/settings_use.py:14 (os.environ[...])"
    )
    assert "read without a default" in token
    assert "'sqlite:///local.db' points at a local file" in gaps["SYNTH_DATABASE"].lines()[0]
    assert "127.0.0.1" in gaps["SYNTH_SERVICE"].lines()[0]

    assert "neither bootstrap creates it" in gaps["ssm:/ouroboros/prod/synth-secret"].lines()[0]

    delivered = [name for name in gaps if not name.startswith(SSM_PREFIX)]
    settings["synthetic"]["aws_environment_variables"] = dict.fromkeys(delivered, "x")
    assert [g.setting for g in function_gaps(spec, settings, found)] == [
        "ssm:/ouroboros/prod/synth-secret"
    ]
