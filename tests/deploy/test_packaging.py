"""Packaging: the runtime environment's recipe, the static files, and the zips Zappa builds.

Unit tests cover the pieces (the pinned pip command, forced bytecode, pruning, the production
static storage); the integration tests package the console and the workers with
``zappa package`` and run the console's zip through Zappa's handler as API Gateway calls it, on
the default URL, under the stage path.
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import itertools
import json
import py_compile
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import URLResolver, get_resolver, set_script_prefix

from deploy.runtime_env import (
    DJANGO_LOCALE_KEPT,
    LAMBDA_PLATFORM,
    STATIC_NOT_SERVED,
    bytecode_compile,
    pip_install_command,
    prune,
)
from deploy.zappa_cli import zappa_package
from tests.deploy.lambda_package import (
    api_gateway_event,
    console_environment,
    handler_invoke,
    lambda_provided,
    package_extract,
)

MB = 1024 * 1024
STAGE = "console"  # the console's Zappa stage, which names its API Gateway stage
PRODUCTION_STORAGE = "console.static_storage.PackagedStaticFilesStorage"

#: Building the console and worker packages takes about half a minute (module fixtures).
pytestmark = pytest.mark.long


# --- the runtime environment's recipe -----------------------------------------------------


def test_pip_installs_the_lambda_platform_wheels_whatever_the_build_machine(
    tmp_path: Path,
) -> None:
    command = pip_install_command(
        tmp_path, ["Django==5.2.19"], constraint=tmp_path / "requirements.lock"
    )
    pairs = dict(itertools.pairwise(command))
    assert pairs["--platform"] == "manylinux2014_x86_64"
    assert pairs["--python-version"] == "3.12"
    assert pairs["--implementation"] == "cp"
    assert "--only-binary=:all:" in command  # never built from source for the build machine
    assert pairs["--target"] == str(tmp_path)  # pip refuses platform options without it
    assert pairs["--constraint"] == str(tmp_path / "requirements.lock")
    assert command[-1] == "Django==5.2.19"
    assert set(LAMBDA_PLATFORM) <= set(command)


def test_no_deps_installs_keep_the_platform_pin(tmp_path: Path) -> None:
    command = pip_install_command(tmp_path, ["zappa==0.63.0"], no_deps=True)
    assert "--no-deps" in command
    assert "--platform" in command and "--constraint" not in command


def _pyc_flags(source: Path) -> int:
    """The PEP 552 flags of ``source``'s cached bytecode: 0 timestamp-based, 3 checked hash."""
    header = Path(importlib.util.cache_from_source(str(source))).read_bytes()[:8]
    return int.from_bytes(header[4:8], "little")


def test_bytecode_compile_replaces_timestamp_bytecode_already_there(tmp_path: Path) -> None:
    """pip and every import leave timestamp-based ``.pyc`` files, stale in Zappa's zip."""
    source = tmp_path / "package" / "module.py"
    source.parent.mkdir()
    source.write_text("VALUE = 1\n")
    py_compile.compile(
        str(source), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP, doraise=True
    )
    assert _pyc_flags(source) == 0

    bytecode_compile(source.parent)

    assert _pyc_flags(source) == 0b11  # hash-based, checked: valid whatever the zip's dates


def test_prune_leaves_out_what_never_runs_on_lambda_but_no_module(tmp_path: Path) -> None:
    assets = tmp_path / "drf_spectacular_sidecar" / "static" / "swagger-ui-dist"
    assets.mkdir(parents=True)
    for name in ("swagger-ui-bundle.js", "swagger-ui-bundle.js.map"):
        (assets / name).write_text("x")
    (tmp_path / "drf_spectacular_sidecar" / "__init__.py").write_text("")
    (tmp_path / "vendor" / "static").mkdir(parents=True)  # a Python package named "static"
    (tmp_path / "vendor" / "static" / "__init__.py").write_text("")
    (tmp_path / "vendor" / "bundle.js.map").write_text("{}")
    (tmp_path / "vendor" / "tests").mkdir()
    (tmp_path / "vendor" / "tests" / "test_vendor.py").write_text("")
    (tmp_path / "vendor-1.0.dist-info").mkdir()
    for name in ("METADATA", "RECORD"):
        (tmp_path / "vendor-1.0.dist-info" / name).write_text("")
    (tmp_path / "zappa" / "policies").mkdir(parents=True)
    for name in ("handler.py", "wsgi.py", "cli.py", "core.py", "policies/assume_policy.json"):
        (tmp_path / "zappa" / name).write_text("")
    swagger = tmp_path / "aws_lambda_powertools" / "event_handler" / "openapi" / "swagger_ui"
    swagger.mkdir(parents=True)
    for name in ("html.py", "swagger-ui-bundle.min.js", "swagger-ui.min.css"):
        (swagger / name).write_text("")
    for folder in ("conf/locale/en", "conf/locale/fr", "db/backends/mysql", "db/backends/sqlite3"):
        (tmp_path / "django" / folder).mkdir(parents=True)
        (tmp_path / "django" / folder / "__init__.py").write_text("")

    removed = prune(tmp_path)

    assert not (tmp_path / "drf_spectacular_sidecar" / "static").exists()
    assert not (tmp_path / "vendor" / "bundle.js.map").exists()
    assert not (tmp_path / "vendor" / "tests").exists()
    assert not (tmp_path / "vendor-1.0.dist-info" / "RECORD").exists()
    assert (tmp_path / "vendor-1.0.dist-info" / "METADATA").is_file()
    assert (tmp_path / "drf_spectacular_sidecar" / "__init__.py").is_file()
    assert (tmp_path / "vendor" / "static" / "__init__.py").is_file()
    assert sorted(p.name for p in (tmp_path / "zappa").iterdir()) == ["handler.py", "wsgi.py"]
    assert [p.name for p in swagger.iterdir()] == ["html.py"]
    django = tmp_path / "django"
    assert [p.name for p in (django / "conf" / "locale").iterdir()] == ["en"]
    assert [p.name for p in (django / "db" / "backends").iterdir()] == ["sqlite3"]
    assert tmp_path / "drf_spectacular_sidecar" / "static" in removed


# --- the production static storage --------------------------------------------------------


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``collectstatic`` with the production storage, into a temporary folder."""
    root = tmp_path_factory.mktemp("staticfiles")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": PRODUCTION_STORAGE},
    }
    with override_settings(
        STATIC_ROOT=root, STORAGES=storages, WHITENOISE_KEEP_ONLY_HASHED_FILES=True
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


def test_collectstatic_keeps_one_hashed_file_and_one_gzip_copy_each(collected: Path) -> None:
    files = {p.relative_to(collected).as_posix() for p in collected.rglob("*") if p.is_file()}
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
    originals = set(manifest) - {n for n in manifest if n.endswith(".map")}
    assert "console/console.css" in originals
    assert not [n for n in files if n.endswith((".br", ".map", ".map.gz"))]
    for name in originals:
        assert name not in files, f"unhashed copy of {name}"
        assert manifest[name] in files
    assert f"{manifest['console/console.css']}.gz" in files
    hashed = [n for n in files if n != "staticfiles.json" and not n.endswith(".gz")]
    assert len(hashed) == len(originals)


def test_static_urls_follow_the_script_name_of_the_request(collected: Path) -> None:
    from django.contrib.staticfiles.storage import staticfiles_storage

    storages = {"staticfiles": {"BACKEND": PRODUCTION_STORAGE}}
    with override_settings(STATIC_ROOT=collected, STORAGES=storages, STATIC_URL="/static/"):
        try:
            set_script_prefix("/console/")  # what Django does for SCRIPT_NAME=/console
            staged = staticfiles_storage.url("console/console.css")
            set_script_prefix("/")  # a custom domain: no stage in the path
            root = staticfiles_storage.url("console/console.css")
        finally:
            set_script_prefix("/")
    assert re.fullmatch(r"/console/static/console/console\.[0-9a-f]{12}\.css", staged)
    assert root == staged.removeprefix("/console")


def _views(patterns: list[Any]) -> Iterator[Any]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        else:
            yield getattr(pattern.callback, "view_class", pattern.callback)


def test_static_files_left_out_of_the_package_are_never_linked() -> None:
    """`STATIC_NOT_SERVED`: no ReDoc view, no browsable API."""
    from django.conf import settings
    from drf_spectacular.views import SpectacularRedocView

    views = list(_views(get_resolver().url_patterns))
    assert views
    assert not [v for v in views if isinstance(v, type) and issubclass(v, SpectacularRedocView)]
    renderers = settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"]
    assert renderers == ["rest_framework.renderers.JSONRenderer"]
    assert {"drf_spectacular_sidecar/redoc/*", "rest_framework/*"} <= set(STATIC_NOT_SERVED)


def test_the_locale_formats_kept_are_the_only_ones_django_reads() -> None:
    """`DJANGO_LOCALE_KEPT`: with USE_I18N off, only LANGUAGE_CODE's formats are ever read."""
    from django.conf import settings

    assert settings.USE_I18N is False
    assert settings.LANGUAGE_CODE.split("-")[0] in DJANGO_LOCALE_KEPT


# --- the packages Zappa builds (integration) ----------------------------------------------


@dataclass(frozen=True)
class Packages:
    console: Path
    workers: Path


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Packages:
    build = tmp_path_factory.mktemp("packages")
    return Packages(
        console=zappa_package("console", build / "console.zip"),
        workers=zappa_package("workers", build / "workers.zip"),
    )


@pytest.mark.integration
@pytest.mark.timeout(1200)
def test_console_package_ships_each_asset_once(packages: Packages) -> None:
    names = zipfile.ZipFile(packages.console).namelist()
    # 21 MiB: Powertools' logging and metrics (about 0.6 MiB) came in with the core's workflow
    # modules the console imports (structured logs and metrics, issue 26).
    assert packages.console.stat().st_size <= 21 * MB
    assert not [n for n in names if n.endswith((".map", ".br"))]
    # The Swagger UI / ReDoc assets: only the collected copy WhiteNoise serves, hashed and gzip.
    assert not [n for n in names if n.startswith("drf_spectacular_sidecar/static/")]
    bundles = [n for n in names if "/swagger-ui-bundle." in n and ".LICENSE" not in n]
    assert len(bundles) == 2, bundles
    assert {Path(n).suffix for n in bundles} == {".js", ".gz"}
    assert all(n.startswith("staticfiles/") for n in bundles)
    assert not [n for n in names if n.startswith(("staticfiles/rest_framework/", "zappa/cli"))]
    assert not [n for n in names if n.startswith("staticfiles/") and "redoc" in n.lower()]


@pytest.mark.integration
@pytest.mark.timeout(1200)
def test_workers_package_carries_no_web_assets(packages: Packages) -> None:
    names = zipfile.ZipFile(packages.workers).namelist()
    assert not [n for n in names if n.startswith("staticfiles/") or "/static/" in n]
    assert not [n for n in names if "swagger-ui" in n.lower() or "redoc" in n.lower()]
    assert not [n for n in names if n.endswith(".map")]


@pytest.mark.integration
@pytest.mark.timeout(1200)
def test_packaged_bytecode_is_hash_checked(packages: Packages) -> None:
    """Timestamp-based bytecode would be stale in the zip (dated 1980) and recompiled each start."""
    for zip_path in (packages.console, packages.workers):
        with zipfile.ZipFile(zip_path) as archive:
            pycs = [n for n in archive.namelist() if n.endswith(".pyc")]
            stale = [n for n in pycs if int.from_bytes(archive.read(n)[4:8], "little") == 0]
        assert len(pycs) > 500
        assert stale == []


@pytest.mark.integration
@pytest.mark.timeout(1200)
def test_static_files_are_served_under_the_stage_path(packages: Packages, tmp_path: Path) -> None:
    package = package_extract(packages.console, tmp_path / "package")
    provided = lambda_provided(tmp_path / "lambda-runtime")
    manifest = json.loads((package / "staticfiles" / "staticfiles.json").read_text())["paths"]
    css = manifest["console/console.css"]
    env = console_environment(STAGE, tmp_path / "console.sqlite3")

    login, plain, gzipped = handler_invoke(
        package,
        provided,
        env,
        [
            api_gateway_event("/login/", stage=STAGE),
            # The browser asks for /console/static/...; API Gateway passes the path without it.
            api_gateway_event(f"/static/{css}", stage=STAGE),
            api_gateway_event(f"/static/{css}", stage=STAGE, headers={"Accept-Encoding": "gzip"}),
        ],
    )

    assert login["statusCode"] == 200, login.get("body", "")[:2000]
    assert f'href="/{STAGE}/static/{css}"' in login["body"]
    expected = (package / "staticfiles" / css).read_bytes()
    assert plain["statusCode"] == 200
    assert plain["headers"]["Content-Type"].startswith("text/css")
    assert plain["body"].encode() == expected
    assert gzipped["statusCode"] == 200
    assert gzipped["headers"]["Content-Encoding"] == "gzip"
    assert gzipped["isBase64Encoded"] is True  # API Gateway must decode it to binary
    assert gzip.decompress(base64.b64decode(gzipped["body"])) == expected
