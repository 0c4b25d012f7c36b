"""Erasing a person removes their links to the company's learning platforms (LTI) and
sign-in provider (single sign-on): the platform's or provider's subject is personal
data, and a launch or sign-in with it afterwards no longer finds the erased account.
The personal-data export lists those links, each person only their own."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.models import OutboxMessage, Role, User
from lms.models.integration import SsoIdentity
from lms.models.lti import LtiGradeLink, LtiHandoff, LtiIdentity
from lms.services.erasure import erase_person
from lms.sso import service as sso
from tests.factories import make_user
from tests.lti_platform import LtiPlatformServer
from tests.unit.test_course_parser import write_course
from tests.unit.test_erasure import dump
from tests.web.test_learn import LESSON_2
from tests.web.test_lti import EN, launch, register

SUBJECT = "moodle-user-7"  # tests/lti_platform.py's default `sub`
MODULE = "/learn/courses/testkurs"


@pytest.fixture
def course(app, db, tmp_path):
    """A module of two lessons, "einstieg" and "vertiefung" (as in test_lti)."""
    with app.test_request_context():
        import_course(db, write_course(tmp_path, {"02-vertiefung.md": LESSON_2}), datetime.now(UTC))


@pytest.fixture
def platform_server():
    with LtiPlatformServer() as server:
        yield server


def count(db, model, user_id: int) -> int:
    return db.scalar(select(func.count()).select_from(model).where(model.user_id == user_id))


def complete_module(client) -> None:
    for lesson in ("einstieg", "vertiefung"):
        client.post(f"{MODULE}/{lesson}/done")


@pytest.mark.parametrize("email", ["mia@moodle.example", None])
def test_after_erasure_a_launch_with_the_same_subject_makes_a_new_person(
    app, client, db, world, platform_server, course, email
):
    register(app, db, world, platform_server)
    # A launch in the platform's frame leaves a ticket for a new window, not used yet.
    framed, _params, _token = launch(
        app.test_client(), platform_server, headers=EN | {"Sec-Fetch-Dest": "iframe"}, email=email
    )
    assert framed.status_code == 200
    ticket = re.search(
        r'href="http://localhost(/lti/continue/[^"]+)"', framed.get_data(as_text=True)
    )
    assert ticket is not None
    # The module done in another launch: its score waits in the outbox.
    assert launch(client, platform_server, email=email)[0].status_code == 302
    complete_module(client)
    person = db.get(User, db.scalar(select(LtiIdentity.user_id)))
    for model in (LtiIdentity, LtiGradeLink, LtiHandoff, OutboxMessage):
        assert count(db, model, person.id) == 1, model
    assert SUBJECT in dump(db)
    number = person.personnel_number  # without an address: derived from the subject

    erase_person(db, person, datetime.now(UTC))

    for model in (LtiIdentity, LtiGradeLink, LtiHandoff, OutboxMessage):
        assert count(db, model, person.id) == 0, model
    assert SUBJECT not in dump(db)
    # The ticket no longer signs anyone in; no score goes to the platform.
    assert app.test_client().get(ticket.group(1), headers=EN).status_code == 400
    assert app.test_client().post(ticket.group(1), headers=EN).status_code == 400
    assert app.test_cli_runner().invoke(args=["mail", "send"]).exit_code == 0
    assert platform_server.scores == []

    # The platform launches the same person again: a new learner, not the erased one.
    again = app.test_client()
    response, _params, _token = launch(again, platform_server, email=email)
    assert response.status_code == 302 and response.location.endswith(MODULE)
    (identity,) = db.scalars(select(LtiIdentity)).all()
    assert identity.subject == SUBJECT and identity.user_id != person.id
    newcomer = db.get(User, identity.user_id)
    assert newcomer.email == email and newcomer.display_name == "Mia Moodle"
    assert newcomer.personnel_number == number and newcomer.erased_at is None
    assert again.get(MODULE, headers=EN).status_code == 200
    db.refresh(person)
    assert person.erased_at is not None and not person.is_active
    assert person.display_name.startswith("Gelöschte Person")


DOMAIN = "alpha-sso.example"
ISSUER = "https://login.alpha-sso.example"
SSO_SUBJECT = "sso-subject-4711"


@pytest.mark.parametrize("create_people", [False, True])
def test_after_erasure_a_sign_in_with_the_same_subject_finds_no_one(app, db, world, create_people):
    company = world.a.company
    fields = sso.SettingsFields(
        enabled=True, issuer=ISSUER, client_id="lernwerk", client_secret="s3cret",
        domains=(DOMAIN,), required=False, create_people=create_people, group_claim="",
        provider_logout=True,
    )  # fmt: skip
    ada = make_user(db, company, Role.LEARNER, email=f"ada@{DOMAIN}", name="Ada Alpha")
    ada.external_id = "entra-object-0815"  # provisioned by the identity system (SCIM)
    claims = {"sub": SSO_SUBJECT, "email": ada.email, "name": "Ada Alpha"}
    now = datetime.now(UTC)
    with app.test_request_context():
        sso.save_settings(db, Actor.command(), company, fields, now)
        settings = sso.settings_of(db, company.id)
        assert sso.person_for(db, settings, ISSUER, claims, now, "127.0.0.0/24") == ada
        assert count(db, SsoIdentity, ada.id) == 1 and SSO_SUBJECT in dump(db)

        erase_person(db, ada, now)
        everything = dump(db)
        assert count(db, SsoIdentity, ada.id) == 0 and SSO_SUBJECT not in everything
        assert "entra-object-0815" not in everything

        # The provider still knows the subject and the address; Lernwerk knows neither.
        if not create_people:
            with pytest.raises(sso.SsoRefused) as refused:
                sso.person_for(db, settings, ISSUER, claims, now, "127.0.0.0/24")
            assert refused.value.code == "unknown-person"
            assert db.scalar(select(func.count()).select_from(SsoIdentity)) == 0
            return
        newcomer = sso.person_for(db, settings, ISSUER, claims, now, "127.0.0.0/24")
    assert newcomer.id != ada.id and newcomer.email == f"ada@{DOMAIN}"
    (identity,) = db.scalars(select(SsoIdentity)).all()
    assert identity.subject == SSO_SUBJECT and identity.user_id == newcomer.id


def test_the_export_lists_the_persons_own_platform_and_provider_links(
    app, client, db, world, platform_server, course
):
    platform = register(app, db, world, platform_server)
    # Someone else of the same platform and provider, launched first.
    assert launch(app.test_client(), platform_server, sub="moodle-user-8",
                  email="max@moodle.example")[0].status_code == 302  # fmt: skip
    other = db.scalar(select(User).where(User.email == "max@moodle.example"))
    assert launch(client, platform_server)[0].status_code == 302  # signs in as Mia
    mia = db.scalar(select(User).where(User.email == "mia@moodle.example"))
    linked = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)
    for person, subject in ((other, "sso-max"), (mia, "sso-mia")):
        db.add(SsoIdentity(user_id=person.id, company_id=person.company_id, issuer=ISSUER,
                           subject=subject, linked_at=linked))  # fmt: skip
    db.flush()
    db.expire_all()  # the times as stored
    account = db.scalar(select(SsoIdentity).where(SsoIdentity.user_id == mia.id))
    identity = db.scalar(select(LtiIdentity).where(LtiIdentity.user_id == mia.id))
    grade_link = db.scalar(select(LtiGradeLink).where(LtiGradeLink.user_id == mia.id))

    data = json.loads(client.get("/learn/my-data.json").get_data(as_text=True))

    assert data["sso_identities"] == [
        {
            "issuer": ISSUER,
            "subject": "sso-mia",
            "linked_at": account.linked_at.isoformat(),
            "last_used_at": None,
        }
    ]
    (link,) = data["lti_links"]
    assert link["platform"] == "Moodle Alpha" and link["issuer"] == platform.issuer
    assert link["subject"] == SUBJECT
    assert link["linked_at"] == identity.linked_at.isoformat()
    assert link["last_used_at"] == identity.last_used_at.isoformat()
    assert link["grade_links"] == [
        {
            "course": "testkurs",
            "resource_link": "resource-1",
            "line_item": platform_server.lineitem(),
            "linked_at": grade_link.created_at.isoformat(),
            "updated_at": grade_link.updated_at.isoformat(),
        }
    ]
    everything = json.dumps(data)
    assert "moodle-user-8" not in everything and "sso-max" not in everything
