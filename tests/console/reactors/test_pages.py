"""Reactor pages: catalog, detail, installed; install / upgrade / uninstall by role, audited."""

from __future__ import annotations

import pytest
from django.test import Client

from console.audit.models import AuditEntry
from ouroboros.models import LocalReactorModel

pytestmark = [pytest.mark.functional, pytest.mark.django_db]


def test_catalog_lists_and_searches_verified_reactors(
    viewer: Client, verified_reactor: str
) -> None:
    page = viewer.get("/reactors/").content.decode()
    assert "s3-public-read" in page and "Remove bucket policy statements" in page
    assert 'action="/reactors/hub/s3-public-read/install/"' not in page  # viewers cannot install
    assert "s3-public-read" in viewer.get("/reactors/", {"q": "S3.2"}).content.decode()
    assert "s3-public-read" not in viewer.get("/reactors/", {"q": "rotation"}).content.decode()


def test_operators_see_install(operator: Client, verified_reactor: str) -> None:
    page = operator.get("/reactors/").content.decode()
    assert 'action="/reactors/hub/s3-public-read/install/"' in page


def test_detail_shows_description_permissions_parameters_versions(
    viewer: Client, verified_reactor: str
) -> None:
    page = viewer.get("/reactors/hub/s3-public-read/").content.decode()
    assert "Public ACL grants are not touched" in page  # the docstring
    assert "s3:GetBucketPolicy, s3:PutBucketPolicy, s3:DeleteBucketPolicy" in page
    assert 'id="hub-status">verified<' in page
    assert "X-Amz-Signature" in page or "Signature=" in page  # pre-signed download
    assert viewer.get("/reactors/hub/nothing-here/").status_code == 404


APPROVAL = ["s3:DeleteBucketPolicy", "s3:PutBucketPolicy"]


def test_install_requires_operator_post_and_is_audited(
    viewer: Client, operator: Client, admin: Client, verified_reactor: str
) -> None:
    assert viewer.post("/reactors/hub/s3-public-read/install/").status_code == 403
    assert operator.get("/reactors/hub/s3-public-read/install/").status_code == 405
    # s3-public-read writes bucket policies: without the admin's approval nothing is installed.
    detail = "/reactors/hub/s3-public-read/"
    response = operator.post("/reactors/hub/s3-public-read/install/", {"version": "1.0.0"})
    assert response.status_code == 302 and response["Location"] == detail
    page = operator.get(detail).content.decode()
    assert "need an admin&#x27;s approval: s3:DeleteBucketPolicy, s3:PutBucketPolicy" in page
    assert 'name="approve" value="s3:PutBucketPolicy" required disabled' in page
    response = operator.post(
        "/reactors/hub/s3-public-read/install/", {"version": "1.0.0", "approve": APPROVAL}
    )
    assert "requires the admin role" in operator.get(detail).content.decode()
    assert not list(LocalReactorModel.scan()) and not AuditEntry.objects.exists()
    assert (
        'name="approve" value="s3:PutBucketPolicy" required>' in admin.get(detail).content.decode()
    )
    response = admin.post(
        "/reactors/hub/s3-public-read/install/", {"version": "1.0.0", "approve": APPROVAL}
    )
    assert response.status_code == 302 and response["Location"] == "/reactors/installed/"
    item = LocalReactorModel.get("s3-public-read")
    assert (item.status, item.version, item.installed_by) == ("installing", "1.0.0", "ada")
    assert (item.approved_actions, item.approved_by) == (APPROVAL, "ada")
    event = AuditEntry.objects.get()
    assert (event.actor_name, event.action, event.target_id, event.via) == (
        "ada",
        "reactor.install",
        "s3-public-read",
        "console",
    )
    assert (event.before, event.after) == (
        None,
        {"version": "1.0.0", "status": "installing", "approved_actions": APPROVAL},
    )
    page = operator.get("/reactors/installed/").content.decode()
    assert "installing" in page
    # Installing twice is refused with a message, nothing audited.
    admin.post("/reactors/hub/s3-public-read/install/", {"version": "1.0.0", "approve": APPROVAL})
    assert AuditEntry.objects.count() == 1


def test_csrf_is_enforced(verified_reactor: str, operator: Client) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = operator.cookies
    assert strict.post("/reactors/hub/s3-public-read/install/").status_code == 403
    assert not list(LocalReactorModel.scan())


def test_uninstall_from_the_installed_page(
    operator: Client, viewer: Client, installed_reactor: LocalReactorModel
) -> None:
    page = viewer.get("/reactors/installed/").content.decode()
    assert "kms-key-rotation" in page and "installed" in page and "Uninstall" not in page
    assert "Uninstall" in operator.get("/reactors/installed/").content.decode()
    assert viewer.post("/reactors/installed/kms-key-rotation/uninstall/").status_code == 403
    operator.post("/reactors/installed/kms-key-rotation/uninstall/")
    assert not list(LocalReactorModel.scan())
    event = AuditEntry.objects.get()
    assert (event.action, event.before["status"], event.after) == (
        "reactor.uninstall",
        "installed",
        None,
    )


def test_upgrade_offered_when_the_hub_has_newer(
    operator: Client, admin: Client, verified_reactor: str, installed_reactor: LocalReactorModel
) -> None:
    LocalReactorModel("s3-public-read", version="0.9.0", sha256="1" * 64, status="installed").save()
    page = operator.get("/reactors/installed/").content.decode()
    assert "Upgrade to 1.0.0" in page
    assert 'name="approve" value="s3:DeleteBucketPolicy" required disabled' in page
    operator.post("/reactors/installed/s3-public-read/upgrade/", {"version": "1.0.0"})
    assert LocalReactorModel.get("s3-public-read").version == "0.9.0"  # not approved
    admin.post(
        "/reactors/installed/s3-public-read/upgrade/", {"version": "1.0.0", "approve": APPROVAL}
    )
    item = LocalReactorModel.get("s3-public-read")
    assert (item.version, item.previous_version, item.status) == ("1.0.0", "0.9.0", "installing")
