"""Single sign-on under a reviewer's eye, against the real provider: a person whose
account moved to another company, a person with many groups (Entra ID sends up to 200
in the ID token), and `next` addresses pointing elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.audit.service import Actor
from lms.models import Role
from lms.models.integration import SsoIdentity
from lms.sso import service
from tests.factories import make_user
from tests.oidc_fixture import (
    CALLBACK,
    provider_fixture,  # noqa: F401 (the fixture `oidc_provider`)
    through_provider,
)
from tests.web.test_sso import DOMAIN, EN, configure, onward, sign_in

# Browsers drop a cookie above 4,096 bytes (name, value and attributes): the person
# would come back from their provider and still not be signed in.
COOKIE_LIMIT = 4093
GOOGLE = "https://accounts.google.com"


def _alpha(app, db, world, oidc_provider, **options):
    configure(app, db, world.a.company, oidc_provider.issuer, **options)
    return world.a


def test_a_person_linked_in_one_company_and_moved_to_another_is_refused(
    app, client, db, world, oidc_provider
):
    alpha = _alpha(app, db, world, oidc_provider)
    ada = make_user(db, alpha.company, Role.LEARNER, email=f"ada@{DOMAIN}", name="Ada Alpha")
    assert sign_in(client, oidc_provider, ada.email, "ada").status_code == 302
    client.post("/logout")
    # The account now belongs to company B (as an operator's database fix or a future
    # "move" would leave it); its old link to company A's provider must not sign it in.
    ada.company_id = world.b.company.id
    ada.department_id = None
    db.flush()
    # The login page no longer sends the address there; the company's bookmark does.
    started = client.get("/sso/start", query_string={"domain": DOMAIN}, headers=EN)
    back = through_provider(requests.Session(), started.location, "ada", CALLBACK)
    answer = client.get(back.removeprefix("http://localhost"), headers=EN)
    assert answer.status_code == 403
    assert "belongs to another company" in answer.get_data(as_text=True)
    assert client.get("/learn/", headers=EN).status_code in (302, 401)


def test_a_person_with_many_groups_is_signed_in_and_the_cookie_stays_small(
    app, client, db, world, oidc_provider
):
    alpha = _alpha(app, db, world, oidc_provider, group_claim="groups")
    person = make_user(db, alpha.company, Role.LEARNER, email=f"many@{DOMAIN}", name="Many")
    answer = sign_in(client, oidc_provider, person.email, "many")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    cookie = answer.headers.get("Set-Cookie", "")
    assert len(cookie.encode()) <= COOKIE_LIMIT
    assert client.get("/learn/", headers=EN).status_code == 200
    assert db.scalar(select(SsoIdentity).where(SsoIdentity.user_id == person.id)) is not None
    # Signing out still reaches the provider's sign-out (without the hint that did
    # not fit): the provider asks the person to confirm instead.
    goodbye = client.post("/logout", headers=EN)
    assert onward(goodbye).startswith(oidc_provider.issuer)


def test_next_pointing_to_another_site_is_not_followed(app, client, db, world, oidc_provider):
    alpha = _alpha(app, db, world, oidc_provider)
    ada = make_user(db, alpha.company, Role.LEARNER, email=f"ada@{DOMAIN}", name="Ada Alpha")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/%0d/x"):
        answer = client.get(
            "/sso/start", query_string={"email": ada.email, "next": target}, headers=EN
        )
        assert answer.status_code == 302
        back = through_provider(requests.Session(), answer.location, "ada", CALLBACK)
        arrived = client.get(back.removeprefix("http://localhost"), headers=EN)
        assert arrived.status_code == 302
        assert arrived.location in ("/", target) and not arrived.location.startswith("//")
        assert "evil" not in arrived.location or arrived.location == "/%0d/x"
        client.post("/logout")


def test_without_the_group_claim_in_the_token_roles_and_departments_stay(
    app, client, db, world, oidc_provider
):
    # Entra ID leaves the groups out of a token when a person is in too many (the
    # "overage"), and a provider set up without them sends none: that says nothing
    # about the person's groups, so no manager loses the role for it.
    alpha = _alpha(app, db, world, oidc_provider, group_claim="groups")
    with app.test_request_context():
        service.add_group_mapping(db, Actor.command(), alpha.company, "leads",
                                  alpha.departments[0], True, datetime.now(UTC))  # fmt: skip
    staff = make_user(db, alpha.company, Role.LEARNER, Role.MANAGER, email=f"staff@{DOMAIN}")
    department = staff.department_id
    assert sign_in(client, oidc_provider, staff.email, "staff").status_code == 302
    db.refresh(staff)
    assert Role.MANAGER in staff.roles and staff.department_id == department


def test_a_very_long_name_from_the_provider_is_shortened_not_a_500(app, db, world, oidc_provider):
    alpha = _alpha(app, db, world, oidc_provider, create_people=True)
    settings = service.settings_of(db, alpha.company.id)
    assert settings is not None
    claims = {"sub": "long", "email": f"lang@{DOMAIN}", "email_verified": True, "name": "N" * 500}
    with app.test_request_context():
        person = service.person_for(
            db, settings, oidc_provider.issuer, claims, datetime.now(UTC), "127.0.0.0/24"
        )
    db.flush()
    assert person.company_id == alpha.company.id and len(person.display_name) == 200
    too_long = claims | {"sub": "longer", "email": "x" * 250 + f"@{DOMAIN}"}
    with app.test_request_context(), pytest.raises(service.SsoRefused):
        service.person_for(
            db, settings, oidc_provider.issuer, too_long, datetime.now(UTC), "127.0.0.0/24"
        )


def test_at_google_only_an_account_of_the_companys_workspace_links(app, db, world):
    # A private Google account may carry a work address (verified by Google, but not
    # the company's): only Workspace accounts name the domain in `hd`.
    configure(app, db, world.a.company, GOOGLE)
    settings = service.settings_of(db, world.a.company.id)
    assert settings is not None
    make_user(db, world.a.company, Role.LEARNER, email=f"gerd@{DOMAIN}", name="Gerd")
    private = {"sub": "1001", "email": f"gerd@{DOMAIN}", "email_verified": True}
    with app.test_request_context(), pytest.raises(service.SsoRefused) as refused:
        service.person_for(db, settings, GOOGLE, private, datetime.now(UTC), "127.0.0.0/24")
    assert refused.value.code == "foreign-address"
    with app.test_request_context():
        person = service.person_for(
            db, settings, GOOGLE, private | {"hd": DOMAIN}, datetime.now(UTC), "127.0.0.0/24"
        )
    assert person.email == f"gerd@{DOMAIN}"


def test_two_first_sign_ins_at_once_end_in_a_clear_page_not_a_500(
    app, client, db, world, oidc_provider, monkeypatch
):
    alpha = _alpha(app, db, world, oidc_provider)
    ada = make_user(db, alpha.company, Role.LEARNER, email=f"ada@{DOMAIN}", name="Ada Alpha")

    def linked_meanwhile(*_args, **_kwargs):
        raise IntegrityError("INSERT INTO sso_identities", {}, Exception("unique"))

    monkeypatch.setattr(service, "person_for", linked_meanwhile)
    answer = sign_in(client, oidc_provider, ada.email, "ada")
    assert answer.status_code == 400
    assert "Please sign in again" in answer.get_data(as_text=True)
