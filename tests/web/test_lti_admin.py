"""The admin's pages of a company's learning platforms (LTI 1.3): the tool's addresses
and the modules' target link URIs for the platform's administrator, registering,
changing and deleting a platform (audited; a refused form keeps what was typed),
another company's platform answering 404, and CSRF: the admin's forms need the token,
the platform's launch does not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from lms.content.importer import import_course
from lms.models import AuditEntry
from lms.models.lti import LtiPlatform
from tests.lti_platform import CLIENT_ID, LtiPlatformServer
from tests.unit.test_course_parser import write_course
from tests.web.test_lti import TARGET, launch, register

EN = {"Accept-Language": "en"}


def base(company):
    return f"/admin/companies/{company.id}/lti"


def fields(**changes):
    values = {
        "name": "Moodle Alpha",
        "issuer": "https://moodle.alpha.example",
        "client_id": CLIENT_ID,
        "deployment_ids": "deployment-1\ndeployment-2",
        "auth_login_url": "https://moodle.alpha.example/mod/lti/auth.php",
        "token_url": "https://moodle.alpha.example/mod/lti/token.php",
        "jwks_url": "https://moodle.alpha.example/mod/lti/certs.php",
    }
    return values | changes


@pytest.fixture
def course(app, db, tmp_path):
    folder = write_course(tmp_path, {})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))


def test_the_admin_registers_changes_and_deletes_a_platform(app, client, db, world, login, course):
    login(world.admin)
    company = world.a.company
    page = client.get(f"/admin/companies/{company.id}", headers=EN).get_data(as_text=True)
    assert "Learning platforms (LTI)" in page and f"{base(company)}/" in page

    listing = client.get(f"{base(company)}/", headers=EN)
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200
    for address in ("http://localhost/lti/login", "http://localhost/lti/launch",
                    "http://localhost/lti/jwks", TARGET):  # fmt: skip
        assert address in text
    assert "No platform yet" in text

    created = client.post(f"{base(company)}/new", data=fields(), headers=EN)
    assert created.status_code == 302
    platform = db.scalar(select(LtiPlatform))
    assert platform.company_id == company.id and platform.deployment_list == [
        "deployment-1",
        "deployment-2",
    ]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "lti_platform.create"))
    assert entry.company_id == company.id and entry.subject == "Moodle Alpha"
    assert entry.changes["issuer"] == [None, "https://moodle.alpha.example"]
    assert "Moodle Alpha" in client.get(f"{base(company)}/", headers=EN).get_data(as_text=True)

    form = client.get(f"{base(company)}/{platform.id}/", headers=EN).get_data(as_text=True)
    assert "deployment-1\ndeployment-2" in form
    changed = client.post(
        f"{base(company)}/{platform.id}/", data=fields(name="Moodle Werk"), headers=EN
    )
    assert changed.status_code == 302
    db.refresh(platform)
    assert platform.name == "Moodle Werk"
    update = db.scalar(select(AuditEntry).where(AuditEntry.action == "lti_platform.update"))
    assert update.changes == {"name": ["Moodle Alpha", "Moodle Werk"]}

    # Not confirmed: kept.
    kept = client.post(f"{base(company)}/{platform.id}/delete", data={}, headers=EN)
    assert kept.status_code == 302 and db.get(LtiPlatform, platform.id) is not None
    gone = client.post(f"{base(company)}/{platform.id}/delete", data={"confirm": "y"}, headers=EN)
    assert gone.status_code == 302
    assert db.scalar(select(LtiPlatform)) is None
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "lti_platform.delete"))


def test_a_refused_form_keeps_what_was_typed(app, client, db, world, login):
    login(world.admin)
    company = world.a.company
    app.config["ALLOW_PRIVATE_ENDPOINTS"] = False
    typed = fields(jwks_url="http://10.0.0.5/certs", client_id="")
    response = client.post(f"{base(company)}/new", data=typed, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The address must begin with https://" in page
    assert "Please fill in this field." in page
    assert 'value="Moodle Alpha"' in page and "http://10.0.0.5/certs" in page
    assert db.scalar(select(LtiPlatform)) is None

    # The same issuer and client ID twice: refused with a sentence.
    app.config["ALLOW_PRIVATE_ENDPOINTS"] = True
    assert client.post(f"{base(company)}/new", data=fields(), headers=EN).status_code == 302
    again = client.post(
        f"{base(world.b.company)}/new", data=fields(name="Zweitversuch"), headers=EN
    )
    assert again.status_code == 422
    assert "registered already" in again.get_data(as_text=True)
    assert 'value="Zweitversuch"' in again.get_data(as_text=True)


def test_another_companys_platform_answers_404(app, client, db, world, login):
    login(world.admin)
    client.post(f"{base(world.b.company)}/new", data=fields(), headers=EN)
    platform = db.scalar(select(LtiPlatform))
    assert client.get(f"{base(world.a.company)}/{platform.id}/").status_code == 404
    assert client.post(f"{base(world.a.company)}/{platform.id}/", data=fields()).status_code == 404
    response = client.post(f"{base(world.a.company)}/{platform.id}/delete", data={"confirm": "y"})
    assert response.status_code == 404
    assert db.get(LtiPlatform, platform.id) is not None


def test_admin_forms_need_the_csrf_token_and_the_launch_does_not(
    app, client, db, world, login, course
):
    login(world.admin)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"{base(world.a.company)}/new", data=fields())
    assert response.status_code == 400
    assert db.scalar(select(LtiPlatform)) is None
    with LtiPlatformServer() as server:
        register(app, db, world, server)
        launched, _params, _token = launch(app.test_client(), server)
        assert launched.status_code == 302, launched.get_data(as_text=True)[:300]
