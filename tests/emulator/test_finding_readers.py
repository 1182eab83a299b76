"""The reader registry: one reader per format, the first that claims a file reads it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator import finding_readers
from emulator.finding_readers import finding_reader_register, findings_read
from emulator.finding_readers import finding_readers as readers
from ouroboros.errors import ValidationError
from tests.conftest import load_event


class _OcsfLike:
    name = "OCSF-test"
    shapes = "an object with finding_info"

    def claims(self, document: Any) -> bool:
        return isinstance(document, dict) and "finding_info" in document

    def read(self, document: Any) -> list[Any]:
        return [document]


@pytest.fixture
def extra_reader() -> Iterator[None]:
    saved = readers()
    finding_reader_register(_OcsfLike())
    try:
        yield
    finally:
        finding_readers._readers[:] = saved


def test_the_asff_reader_takes_every_shape(tmp_path: Path) -> None:
    finding = load_event("asff_findings/asr_afsbp_s3.2.json")
    event = load_event("eventbridge_events/asr_custom_action_afsbp_ec2.2.json")
    shapes = {"one": finding, "list": [finding, finding], "response": {"Findings": [finding]}}
    shapes |= {"event": event, "events": [event, event]}
    for name, document in shapes.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document))
        read = findings_read(path)
        assert read.format == "ASFF"
        assert len(read.findings) == {"list": 2, "events": 2}.get(name, 1)


def test_a_registered_reader_is_asked_first_and_named_in_refusals(
    extra_reader: None, tmp_path: Path
) -> None:
    path = tmp_path / "ocsf.json"
    path.write_text(json.dumps({"finding_info": {"uid": "u1"}}))
    assert findings_read(path).format == "OCSF-test"
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(ValidationError, match="not a findings file") as raised:
        findings_read(unknown)
    assert "ASFF: a finding" in str(raised.value) and "OCSF-test: an object" in str(raised.value)


def test_registering_a_format_twice_keeps_one(extra_reader: None) -> None:
    finding_reader_register(_OcsfLike())
    assert [r.name for r in readers()].count("OCSF-test") == 1


def test_the_ocsf_reader_takes_every_v2_shape_and_asff_findings_beside(tmp_path: Path) -> None:
    event = load_event("ocsf/09_guardduty_detection_finding_in_FindingsImportedV2_event.json")
    finding = load_event("ocsf/02_shcspm_control_SQS.1_compliance_fail_new.json")
    asff_event = load_event("eventbridge_events/asr_imported_afsbp_ec2.7.json")
    shapes = {"one": finding, "list": [finding, finding], "response": {"Findings": [finding]}}
    shapes |= {"event": event, "events": [event, event], "mixed": [asff_event, event]}
    for name, document in shapes.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document))
        read = findings_read(path)
        assert read.format == "OCSF"
        assert len(read.findings) == {"list": 2, "events": 2, "mixed": 2}.get(name, 1)
    only_asff = tmp_path / "asff.json"
    only_asff.write_text(json.dumps(asff_event))
    assert findings_read(only_asff).format == "ASFF"  # V1 files stay with the ASFF reader
