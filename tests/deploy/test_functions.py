"""The function list is the one source: handlers, Zappa settings and the state machine agree."""

from __future__ import annotations

import importlib
import json

import pytest
from slugify import slugify

from deploy.config_file import deploy_config_read
from deploy.functions import FUNCTIONS, GRANTS, functions_all, functions_for
from deploy.runtime_env import project_root
from deploy.workflow import DEFINITION_FILE, definition_placeholders, statemachine_dir
from deploy.zappa_settings import zappa_settings_build, zappa_settings_read

ROOT = project_root()


def test_every_enabled_handler_is_importable() -> None:
    enabled = functions_all()
    assert enabled, "at least the console is enabled"
    for spec in enabled:
        if spec.package == "console":
            continue  # imported by the console tests; needs production secrets
        module = importlib.import_module(spec.module)
        assert callable(getattr(module, spec.handler.rsplit(".", 1)[1]))


def test_planned_entries_name_modules_that_do_not_exist_yet_or_are_ready() -> None:
    """A planned entry whose module has landed should be enabled: this lists them."""
    landed = [
        spec.key
        for spec in FUNCTIONS
        if spec.planned and (ROOT / (spec.module.replace(".", "/") + ".py")).exists()
    ]
    assert landed == [], f"enable these in deploy/functions.py: {landed}"


def test_committed_zappa_settings_are_generated_from_the_list() -> None:
    committed = zappa_settings_read(ROOT / "zappa_settings.json")
    config = deploy_config_read(ROOT / "deploy.toml")
    assert committed == zappa_settings_build(config=config), (
        "run: python manage.py zappa_settings --write"
    )


def test_lambda_names_match_what_zappa_derives() -> None:
    settings = zappa_settings_build(include_planned=True)
    for spec in FUNCTIONS:
        project = (
            settings[spec.key]["project_name"]
            if "project_name" in settings[spec.key]
            else (settings["workers"]["project_name"])
        )
        assert spec.lambda_name("prod") == slugify(f"{project}-{spec.key}")


def test_every_placeholder_has_exactly_one_task_function() -> None:
    text = (statemachine_dir() / DEFINITION_FILE).read_text()
    tasks = [s.placeholder for s in FUNCTIONS if s.trigger == "task"]
    assert sorted(tasks) == sorted(definition_placeholders(text))


def test_triggers_carry_what_they_need_and_grants_are_known() -> None:
    for spec in FUNCTIONS:
        assert set(spec.grants) <= set(GRANTS), spec.key
        assert (spec.trigger == "schedule") == bool(spec.schedule), spec.key
        assert (spec.trigger == "stream") == bool(spec.stream_table), spec.key
        assert (spec.trigger == "rule") == bool(spec.event_pattern), spec.key
        assert len(spec.role_name("prod")) <= 64


def test_worker_stages_extend_workers_and_run_their_own_handler() -> None:
    settings = zappa_settings_build(include_planned=True)
    assert settings["workers"]["apigateway_enabled"] is False
    assert settings["console"]["apigateway_enabled"] is True
    for spec in functions_for("consumer", include_planned=True) + functions_for(
        "hub", include_planned=True
    ):
        stage = settings[spec.key]
        assert stage["role_name"] == spec.role_name("prod")
        if spec.package == "workers":
            assert stage["extends"] == "workers"
            assert stage["lambda_handler"] == spec.handler
        if spec.trigger == "schedule":
            assert stage["events"][0]["expression"] == spec.schedule
        assert "event_source" not in json.dumps(stage), "streams are bootstrap's, not Zappa's"


def test_planned_functions_stay_out_of_the_committed_settings() -> None:
    committed = zappa_settings_read(ROOT / "zappa_settings.json")
    for spec in FUNCTIONS:
        assert (spec.key in committed) == (not spec.planned), spec.key


@pytest.mark.integration
@pytest.mark.parametrize("name", ["boto3", "botocore", "s3transfer", ".venv", "node_modules"])
def test_plain_excludes_only_match_what_they_mean(name: str) -> None:
    """A plain ``exclude`` strips every same-named path, so it must not hit package internals."""
    from deploy.runtime_env import runtime_env_ensure, site_packages

    env = runtime_env_ensure()  # built once, reused by the rehearsal (and `zappa package`)
    packages = site_packages(env)
    hits = [p for p in packages.rglob(name) if p.parent != packages]
    assert hits == [], hits


def test_workers_package_leaves_out_nothing_the_workers_import() -> None:
    """lambdas/, ouroboros/ and reactor_sdk/ never import what the workers package leaves out."""
    from deploy.zappa_settings import WORKERS_WITHOUT
    from tests.test_rings import references

    left_out = {name.split(".")[0] for name in WORKERS_WITHOUT}
    found = []
    for folder in ("lambdas", "ouroboros", "reactor_sdk"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            imports = [name for kind, name in references(path) if kind == "import"]
            found += [f"{path}: {n}" for n in imports if n.split(".")[0] in left_out]
    assert found == []
