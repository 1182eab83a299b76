"""The controls list: one Query on the most selective index, then search and sort in memory."""

from __future__ import annotations

import pytest

from ouroboros.controls.selectors import (
    REACTOR_ANY,
    REACTOR_NONE,
    ControlFilters,
    control_get,
    control_list,
    standard_list,
)
from ouroboros.controls.services import control_configure
from ouroboros.errors import NotFoundError, ValidationError
from ouroboros.models import LocalReactorModel
from ouroboros.securityhub.catalog import (
    FSBP_STANDARD_ID,
    FSBP_STANDARD_NAME,
    catalog_controls,
)
from tests.conftest import SharedStage
from tests.control_catalog import catalog_loaded

pytestmark = pytest.mark.integration

REACTOR = "aws-s3-2-remove-public-read"


@pytest.fixture(scope="module")
def catalog(ddb_module_stage: SharedStage) -> None:
    with ddb_module_stage.active():
        catalog_loaded(
            controls=catalog_controls(),
            standard_id=FSBP_STANDARD_ID,
            standard_name=FSBP_STANDARD_NAME,
        )
        LocalReactorModel(REACTOR, version="1.0.0", sha256="ab" * 32, status="installed").save()
        for control_id, mode in (("S3.2", "auto"), ("S3.3", "dry_run")):
            control_configure(
                control_id=control_id,
                expected_version=0,
                reactor_id=REACTOR,
                mode=mode,
                exemptions=[],
                actor="alice",
            )


@pytest.fixture
def controls(ddb_module_tables: str, catalog: None) -> None:
    return None


def test_unfiltered_list_is_every_control_in_natural_id_order(controls: None) -> None:
    listed = control_list()

    assert listed.index == "kind-index"
    assert len(listed.items) == len(catalog_controls()) == 290
    s3 = [c.control_id for c in listed.items if c.control_id.startswith("S3.")]
    assert s3[:3] == ["S3.1", "S3.2", "S3.3"]
    assert s3.index("S3.9") < s3.index("S3.10")


@pytest.mark.parametrize(
    ("filters", "index", "expected"),
    [
        (ControlFilters(severity="critical"), "severity-index", None),
        (ControlFilters(service="S3"), "service-index", None),
        (ControlFilters(status="ENABLED"), "status-index", None),
        (ControlFilters(reactor=REACTOR), "reactor-index", ["S3.2", "S3.3"]),
        (ControlFilters(mode="auto"), "mode-index", ["S3.2"]),
        (ControlFilters(reactor=REACTOR, mode="dry_run"), "reactor-index", ["S3.3"]),
        (ControlFilters(reactor=REACTOR_ANY), "kind-index", ["S3.2", "S3.3"]),
    ],
)
def test_filters_query_their_index(
    controls: None, filters: ControlFilters, index: str, expected: list[str] | None
) -> None:
    listed = control_list(filters=filters)

    assert listed.index == index
    ids = [c.control_id for c in listed.items]
    if expected is not None:
        assert ids == expected
    else:
        catalog = {c.control_id: c for c in catalog_controls()}
        assert ids
        for control_id in ids:
            entry = catalog[control_id]
            if filters.severity:
                assert entry.severity == filters.severity.upper()
            if filters.service:
                assert entry.service == filters.service
    if index != "kind-index" and not (filters.reactor and filters.mode):
        assert listed.read_count == len(ids)  # the index key alone selected them


def test_mode_off_and_no_reactor_include_controls_never_configured(controls: None) -> None:
    off = control_list(filters=ControlFilters(mode="off"))
    unassigned = control_list(filters=ControlFilters(reactor=REACTOR_NONE))

    assert len(off.items) == len(unassigned.items) == 288
    assert "S3.2" not in {c.control_id for c in off.items}


def test_search_on_id_and_title_words_and_sorts(controls: None) -> None:
    by_words = control_list(filters=ControlFilters(search="public READ s3"))
    by_id = control_list(filters=ControlFilters(search="s3.2"))
    severe_first = control_list(filters=ControlFilters(service="S3"), sort="severity")
    by_title = control_list(filters=ControlFilters(service="S3"), sort="title")

    assert "S3.2" in {c.control_id for c in by_words.items}
    assert all("public" in (c.title or "").lower() for c in by_words.items)
    assert by_id.items[0].control_id == "S3.2"
    ranks = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]
    severities = [ranks.index(c.severity) for c in severe_first.items]
    assert severities == sorted(severities)
    titles = [(c.title or "").lower() for c in by_title.items]
    assert titles == sorted(titles)


def test_standard_filter_and_standards(controls: None) -> None:
    assert standard_list() == {FSBP_STANDARD_ID: FSBP_STANDARD_NAME}
    assert len(control_list(filters=ControlFilters(standard=FSBP_STANDARD_ID)).items) == 290
    assert control_list(filters=ControlFilters(standard="cis/1.2")).items == []


def test_bad_filters_and_unknown_control(controls: None) -> None:
    with pytest.raises(ValidationError, match="Mode"):
        control_list(filters=ControlFilters(mode="always"))
    with pytest.raises(ValidationError, match="Sort"):
        control_list(sort="random")
    with pytest.raises(NotFoundError):
        control_get(control_id="Nope.9")
