"""A reactor's recommended mode: declared in the SDK, carried in the manifest, shown where an
operator assigns it (issue 19: the IAM credential reactors default to manual, the reactors that
can lock out users or cut traffic recommend a dry run)."""

from __future__ import annotations

import pytest

from lambdas.reactors.iam_access_key_rotation.reactor import IamAccessKeyRotationReactor
from lambdas.reactors.iam_unused_credentials.reactor import IamUnusedCredentialsReactor
from lambdas.reactors.s3_require_tls.reactor import S3RequireTlsReactor
from ouroboros.models import LocalReactorModel
from ouroboros.reactors.manifest import manifest_problems
from tests.ouroboros.reactors.test_meta import load_catalog
from tests.reactor_support import built_artifact


def test_the_iam_credential_reactors_recommend_manual_mode() -> None:
    assert IamAccessKeyRotationReactor.recommended_mode == "manual"  # IAM.3
    assert set(IamUnusedCredentialsReactor.control_ids) >= {"IAM.8", "IAM.22"}
    assert IamUnusedCredentialsReactor.recommended_mode == "manual"
    assert S3RequireTlsReactor.recommended_mode == "auto"


def test_every_reactor_recommends_a_known_mode_and_the_manifest_carries_it() -> None:
    catalog = load_catalog()
    assert len(catalog) >= 40
    for reactor_cls in catalog.values():
        assert not reactor_cls.definition_problems(), reactor_cls.id
        assert reactor_cls.describe()["recommended_mode"] == reactor_cls.recommended_mode
    manifest = built_artifact("iam_access_key_rotation").manifest
    assert manifest["recommended_mode"] == "manual" and not manifest_problems(manifest)


def test_an_unknown_recommended_mode_is_refused() -> None:
    class Reckless(S3RequireTlsReactor):
        """Deny requests to a bucket that do not use TLS, recklessly.

        A reactor that recommends a mode nobody knows: the SDK and the manifest refuse it.
        """

        recommended_mode = "yolo"

    assert any("recommended_mode" in p for p in Reckless.definition_problems())
    manifest = {**built_artifact("s3_require_tls").manifest, "recommended_mode": "yolo"}
    assert any(p.startswith("recommended_mode") for p in manifest_problems(manifest))
    older = dict(built_artifact("s3_require_tls").manifest)
    del older["recommended_mode"]  # built before the field: still valid (recommends auto)
    assert not manifest_problems(older)


@pytest.mark.functional
def test_the_control_form_names_the_recommended_mode(moto_aws: None) -> None:
    from console.controls.views import _reactor_choices

    for reactor_cls in (IamAccessKeyRotationReactor, S3RequireTlsReactor):
        LocalReactorModel(
            reactor_cls.id,
            version=reactor_cls.version,
            sha256="0" * 64,
            status="installed",
            manifest=reactor_cls.describe(),
        ).save()
    assert _reactor_choices("IAM.3") == [
        ("iam-access-key-rotation", "iam-access-key-rotation 1.0.0 (recommended mode: Manual)")
    ]
    assert _reactor_choices("S3.5") == [("s3-require-tls", "s3-require-tls 1.0.0")]
