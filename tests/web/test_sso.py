"""Single sign-on through a company's OpenID provider, against a real provider
(`oidc-provider` on loopback, tests/oidc_fixture.py): the sign-in, matching and
linking, people added at their first sign-in, groups, sign-out at the provider, and
each failure a person can meet (a clear page, never a 500)."""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from lms.audit.service import Actor
from lms.models import AuditEntry, LoginEvent, Role, TokenPurpose, User
from lms.models.integration import SsoIdentity, SsoSettings
from lms.services import accounts
from lms.sso import service
from tests.conftest import PASSWORD
from tests.factories import make_user
from tests.oidc_fixture import (
    CALLBACK,
    CLIENT_ID,
    CLIENT_SECRET,
    free_port,
    provider_fixture,  # noqa: F401 (the fixture `oidc_provider`)
    through_provider,
)

EN = {"Accept-Language": "en"}
DOMAIN = "alpha-sso.example"


def configure(app, db, company, issuer, **options):
    fields = {
        "enabled": True,
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "domains": (DOMAIN,),
        "required": False,
        "create_people": False,
        "group_claim": "",
        "provider_logout": True,
    } | options
    with app.test_request_context():
        service.save_settings(
            db, Actor.command(), company, service.SettingsFields(**fields), datetime.now(UTC)
        )


def onward(answer):
    """The provider's address a page moving on to it names (its refresh and its link)."""
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200, page
    assert answer.headers["Cache-Control"] == "no-store"
    link = html.unescape(re.search(r'id="sso-continue" href="([^"]+)"', page).group(1))
    assert f'content="0; url={html.escape(link)}"' in page
    return link


def start(client, email, provider):
    """The login page sends the address to the provider; its authorization address."""
    answer = client.post("/login", data={"email": email, "password": ""}, headers=EN)
    location = onward(answer)
    assert location.startswith(provider.issuer + "/auth?")
    return location


def sign_in(client, provider, email, login):
    """The whole way: login page, the provider's form, back to Lernwerk's callback."""
    back = through_provider(requests.Session(), start(client, email, provider), login, CALLBACK)
    return client.get(back.removeprefix("http://localhost"), headers=EN)


@pytest.fixture
def alpha(app, db, world, oidc_provider):
    configure(app, db, world.a.company, oidc_provider.issuer)
    return world.a


@pytest.fixture
def ada(db, alpha):
    return make_user(db, alpha.company, Role.LEARNER, email=f"ada@{DOMAIN}", name="Ada Alpha")


def test_a_person_signs_in_through_the_provider_without_a_password(client, db, ada, oidc_provider):
    authorize = start(client, ada.email, oidc_provider)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["client_id"] == [CLIENT_ID]
    assert query["login_hint"] == [ada.email]
    back = through_provider(requests.Session(), authorize, "ada", CALLBACK)
    answer = client.get(back.removeprefix("http://localhost"), headers=EN)
    assert answer.status_code == 302 and answer.location == "/"
    assert client.get("/learn/", headers=EN).status_code == 200
    identity = db.scalar(select(SsoIdentity).where(SsoIdentity.user_id == ada.id))
    assert identity is not None and identity.subject == "ada"
    assert identity.issuer == oidc_provider.issuer
    assert db.scalar(select(LoginEvent).where(LoginEvent.user_id == ada.id)) is not None


def test_a_password_typed_by_habit_does_not_keep_the_person_from_their_provider(
    client, ada, oidc_provider
):
    answer = client.post("/login", data={"email": ada.email, "password": "whatever"})
    assert onward(answer).startswith(oidc_provider.issuer)


def test_once_linked_the_person_is_found_by_the_providers_subject(
    app, client, db, ada, oidc_provider
):
    assert sign_in(client, oidc_provider, ada.email, "ada").status_code == 302
    client.post("/logout")
    # Lernwerk's address changed since (the provider still says ada@…): the link holds.
    ada.email = f"ada.alpha@{DOMAIN}"
    db.flush()
    answer = sign_in(client, oidc_provider, ada.email, "ada")
    assert answer.status_code == 302 and answer.location == "/"
    assert client.get("/learn/").status_code == 200


def test_people_and_other_companies_keep_their_password(client, world, alpha):
    # A person of the company without an address at its domains, and the staff (an
    # admin goes on to the second factor).
    for person in (alpha.employees[0], world.admin):
        answer = client.post("/login", data={"email": person.email, "password": PASSWORD})
        assert answer.status_code == 302 and answer.location.startswith("/"), person
        client.post("/logout")


def test_the_password_is_asked_when_no_single_sign_on_applies(client, world):
    answer = client.post("/login", data={"email": world.a.employees[0].email}, headers=EN)
    assert answer.status_code == 422
    assert "Please fill in this field." in answer.get_data(as_text=True)


def test_a_new_person_is_added_as_an_employee_with_their_groups(
    app, client, db, alpha, oidc_provider
):
    configure(app, db, alpha.company, oidc_provider.issuer, create_people=True,
              group_claim="groups")  # fmt: skip
    with app.test_request_context():
        service.add_group_mapping(db, Actor.command(), alpha.company, "lager",
                                  alpha.departments[0], False, datetime.now(UTC))  # fmt: skip
    answer = sign_in(client, oidc_provider, f"neu@{DOMAIN}", "new")
    assert answer.status_code == 302
    person = db.scalar(select(User).where(User.email == f"neu@{DOMAIN}"))
    assert person is not None and person.company_id == alpha.company.id
    assert person.display_name == "Nora Neu" and person.roles == {Role.LEARNER}
    assert person.department_id == alpha.departments[0].id
    assert accounts.can_log_in(person)
    assert client.get("/learn/").status_code == 200
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == person.id)))
    assert "person.create" in actions


def test_without_adding_people_an_unknown_person_is_told_to_ask_hr(client, alpha, oidc_provider):
    answer = sign_in(client, oidc_provider, f"neu@{DOMAIN}", "new")
    assert answer.status_code == 403
    assert "Lernwerk does not know you yet" in answer.get_data(as_text=True)


def test_groups_make_managers_and_the_role_follows_the_groups(
    app, client, db, ada, alpha, oidc_provider
):
    configure(app, db, alpha.company, oidc_provider.issuer, group_claim="groups")
    with app.test_request_context():
        service.add_group_mapping(db, Actor.command(), alpha.company, "leads", None, True,
                                  datetime.now(UTC))  # fmt: skip
    assert sign_in(client, oidc_provider, ada.email, "ada").status_code == 302
    db.refresh(ada)
    assert Role.MANAGER in ada.roles
    entry = db.scalar(
        select(AuditEntry).where(AuditEntry.action == "person.update",
                                 AuditEntry.subject_id == ada.id)
    )  # fmt: skip
    assert entry is not None and "role_names" in entry.changes
    # Bert is in no such group: a manager role given by hand follows the groups.
    bert = make_user(db, alpha.company, Role.LEARNER, Role.MANAGER, email=f"bert@{DOMAIN}")
    client.post("/logout")
    assert sign_in(client, oidc_provider, bert.email, "bert").status_code == 302
    db.refresh(bert)
    assert Role.MANAGER not in bert.roles


def test_an_unverified_address_is_refused(client, db, alpha, oidc_provider):
    make_user(db, alpha.company, email=f"unverified@{DOMAIN}")
    answer = sign_in(client, oidc_provider, f"unverified@{DOMAIN}", "unverified")
    assert answer.status_code == 403
    assert "has not confirmed your e-mail address" in answer.get_data(as_text=True)
    assert client.get("/learn/").status_code == 302


def test_an_address_of_another_companys_domain_is_refused(client, db, world, ada, oidc_provider):
    # Eve (beta-sso.example, a person of company B) signs in at company A's provider.
    make_user(db, world.b.company, email="eve@beta-sso.example")
    answer = sign_in(client, oidc_provider, ada.email, "eve")
    assert answer.status_code == 403
    assert "does not belong to this company" in answer.get_data(as_text=True)
    assert client.get("/learn/").status_code == 302


def test_a_person_of_another_company_at_this_domain_is_refused(
    client, db, world, alpha, oidc_provider
):
    make_user(db, world.b.company, email=f"bert@{DOMAIN}")
    answer = sign_in(client, oidc_provider, f"ada@{DOMAIN}", "bert")
    assert answer.status_code == 403
    assert "belongs to another company" in answer.get_data(as_text=True)


def test_a_deactivated_person_cannot_sign_in(client, db, ada, oidc_provider):
    ada.is_active = False
    db.flush()
    answer = sign_in(client, oidc_provider, ada.email, "ada")
    assert answer.status_code == 403
    assert "Your account is deactivated" in answer.get_data(as_text=True)


def test_a_mismatched_state_is_refused(client, ada, oidc_provider):
    back = through_provider(
        requests.Session(), start(client, ada.email, oidc_provider), "ada", CALLBACK
    )
    forged = back.replace("state=", "state=x")
    answer = client.get(forged.removeprefix("http://localhost"), headers=EN)
    assert answer.status_code == 400
    assert "does not belong to this browser" in answer.get_data(as_text=True)
    assert client.get("/learn/").status_code == 302


def test_a_callback_used_twice_is_refused(client, other_client, ada, oidc_provider):
    back = through_provider(
        requests.Session(), start(client, ada.email, oidc_provider), "ada", CALLBACK
    )
    path = back.removeprefix("http://localhost")
    assert client.get(path).status_code == 302
    client.post("/logout")
    # Replayed in the same browser (the state is used once) or in another one.
    for browser in (client, other_client):
        answer = browser.get(path, headers=EN)
        assert answer.status_code == 400
        assert browser.get("/learn/").status_code == 302


def test_an_expired_id_token_is_refused(app, client, ada, oidc_provider):
    back = through_provider(
        requests.Session(), start(client, ada.email, oidc_provider), "ada", CALLBACK
    )
    app.config["CLOCK"] = lambda: datetime.now(UTC) + timedelta(hours=3)
    answer = client.get(back.removeprefix("http://localhost"), headers=EN)
    assert answer.status_code == 400
    assert "The sign-in has expired" in answer.get_data(as_text=True)


def test_a_provider_naming_another_issuer_is_refused(app, client, db, world, oidc_provider):
    # The same server under another name: its discovery document names 127.0.0.1.
    other_name = oidc_provider.issuer.replace("127.0.0.1", "localhost")
    configure(app, db, world.a.company, other_name)
    answer = client.post("/login", data={"email": f"ada@{DOMAIN}"}, headers=EN)
    assert answer.status_code == 400
    assert "different service than the one your company set up" in answer.get_data(as_text=True)


def test_a_provider_that_is_down_gets_a_clear_message(app, client, db, world, caplog):
    configure(app, db, world.a.company, f"http://127.0.0.1:{free_port()}")
    with caplog.at_level(logging.WARNING, logger="lms.sso"):
        answer = client.post("/login", data={"email": f"ada@{DOMAIN}"}, headers=EN)
    assert answer.status_code == 503
    assert "sign-in service cannot be reached" in answer.get_data(as_text=True)
    assert any("unreachable" in record.getMessage() for record in caplog.records)


def test_failures_are_logged_without_secrets_or_tokens(client, ada, oidc_provider, caplog):
    back = through_provider(
        requests.Session(), start(client, ada.email, oidc_provider), "ada", CALLBACK
    )
    code = parse_qs(urlsplit(back).query)["code"][0]
    with caplog.at_level(logging.INFO, logger="lms.sso"):
        client.get(back.removeprefix("http://localhost").replace("state=", "state=x"))
        assert sign_in(client, oidc_provider, ada.email, "ada").status_code == 302
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "state" in text
    assert code not in text and CLIENT_SECRET not in text and "eyJ" not in text


def test_signing_out_signs_out_at_the_provider(client, ada, oidc_provider):
    assert sign_in(client, oidc_provider, ada.email, "ada").status_code == 302
    location = onward(client.post("/logout"))
    assert location.startswith(oidc_provider.issuer + "/session/end?")
    query = parse_qs(urlsplit(location).query)
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"]
    assert query["id_token_hint"][0].count(".") == 2
    assert client.get("/learn/").status_code == 302
    # The provider accepts it: its sign-out page asks to confirm.
    assert requests.get(location, timeout=10).status_code == 200


def test_without_provider_logout_signing_out_stays_here(app, client, db, ada, alpha, oidc_provider):
    configure(app, db, alpha.company, oidc_provider.issuer, provider_logout=False)
    assert sign_in(client, oidc_provider, ada.email, "ada").status_code == 302
    answer = client.post("/logout")
    assert answer.location == "/login"


# --- A company where single sign-on is required ------------------------------------


@pytest.fixture
def required(app, db, alpha, oidc_provider):
    configure(app, db, alpha.company, oidc_provider.issuer, required=True)
    return alpha


def test_required_refuses_the_password_of_the_companys_people(client, db, world, required):
    person = required.employees[0]  # an address outside the company's domains
    answer = client.post("/login", data={"email": person.email, "password": PASSWORD}, headers=EN)
    assert answer.status_code == 403
    assert "signs you in through its own sign-in service" in answer.get_data(as_text=True)
    # The provider's staff and other companies' people keep their password.
    for other in (world.admin, world.trainer, world.b.employees[0]):
        answer = client.post("/login", data={"email": other.email, "password": PASSWORD})
        assert answer.status_code == 302 and answer.location.startswith("/"), other
        client.post("/logout")


def test_required_refuses_a_password_reset(client, mails, required):
    answer = client.post(
        "/password/forgot", data={"email": required.employees[0].email}, headers=EN
    )
    assert answer.status_code == 403
    assert "signs you in through its own sign-in service" in answer.get_data(as_text=True)
    assert len(mails) == 0


def test_required_turns_an_invitation_into_the_company_sign_in(app, client, db, required):
    person = make_user(db, required.company, email=f"invited@{DOMAIN}", password=None)
    with app.test_request_context():
        raw = accounts.issue_token(
            db, person, TokenPurpose.INVITE, datetime.now(UTC), timedelta(days=7)
        )
    answer = client.get(f"/invitation/{raw}", follow_redirects=True, headers=EN)
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "Sign in through my company" in page and "New password" not in page


# --- The admin's settings page --------------------------------------------------------


def settings_form(issuer, **extra):
    return {
        "enabled": "y",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": "",
        "domains": f"{DOMAIN}\nAlpha-Two.example",
        "group_claim": "groups",
        "provider_logout": "y",
    } | extra


def test_admin_saves_the_settings_and_the_secret_stays_hidden(
    app, client, db, world, login, oidc_provider
):
    login(world.admin)
    url = f"/admin/companies/{world.a.company.id}/sso/"
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "http://localhost/sso/callback" in page
    missing = client.post(url, data=settings_form(oidc_provider.issuer), headers=EN)
    assert missing.status_code == 422
    assert "Please enter the client secret" in missing.get_data(as_text=True)
    saved = client.post(url, data=settings_form(oidc_provider.issuer, client_secret="s3cr3t-xyz"))
    assert saved.status_code == 302
    settings = db.get(SsoSettings, world.a.company.id)
    assert settings.enabled and "s3cr3t-xyz" not in settings.client_secret
    assert service.domains_of(db, world.a.company.id) == [DOMAIN, "alpha-two.example"]
    page = client.get(url, headers=EN).get_data(as_text=True)
    assert "s3cr3t-xyz" not in page and "A client secret is stored." in page
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "company.sso"))
    assert entry is not None and "s3cr3t" not in str(entry.changes)
    # Saving again with the secret left empty keeps it.
    client.post(url, data=settings_form(oidc_provider.issuer, client_id="other-id"))
    db.refresh(settings)
    assert settings.client_id == "other-id"
    with app.app_context():
        assert service.client_secret_of(settings) == "s3cr3t-xyz"
    # The company's page links to it.
    company_page = client.get(f"/admin/companies/{world.a.company.id}", headers=EN)
    assert company_page.status_code in (200, 308)


def test_a_domain_belongs_to_one_company_only(app, client, db, world, login, oidc_provider):
    configure(app, db, world.b.company, oidc_provider.issuer)
    login(world.admin)
    answer = client.post(
        f"/admin/companies/{world.a.company.id}/sso/",
        data=settings_form(oidc_provider.issuer, client_secret="x"),
        headers=EN,
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert f"The domain {DOMAIN} belongs to the company {world.b.company.name} already" in page


def test_the_connection_test_says_what_it_found(app, client, world, login, oidc_provider):
    login(world.admin)
    url = f"/admin/companies/{world.a.company.id}/sso/test"
    good = client.post(url, data=settings_form(oidc_provider.issuer), headers=EN)
    assert good.status_code == 200
    assert "Connection works" in good.get_data(as_text=True)
    down = client.post(url, data=settings_form(f"http://127.0.0.1:{free_port()}"), headers=EN)
    assert "Connection does not work" in down.get_data(as_text=True)
    assert "cannot be reached" in down.get_data(as_text=True)
    app.config["ALLOW_PRIVATE_ENDPOINTS"] = False
    private = client.post(url, data=settings_form(oidc_provider.issuer), headers=EN)
    assert "Connection does not work" in private.get_data(as_text=True)


def test_admin_maps_and_unmaps_a_group(client, db, world, login):
    login(world.admin)
    base = f"/admin/companies/{world.a.company.id}/sso"
    answer = client.post(
        f"{base}/groups",
        data={"group_name": "lager", "department": str(world.a.departments[0].id)},
    )
    assert answer.status_code == 302
    (mapping,) = service.mappings_of(db, world.a.company.id)
    assert mapping.department_id == world.a.departments[0].id
    other = client.post(
        f"{base}/groups",
        data={"group_name": "x", "department": str(world.b.departments[0].id)},
    )
    assert other.status_code == 422  # not one of this company's departments
    assert len(service.mappings_of(db, world.a.company.id)) == 1
    assert client.post(f"{base}/groups/{mapping.id}/remove").status_code == 302
    assert service.mappings_of(db, world.a.company.id) == []


def test_not_for_managers(client, world, login):
    login(world.a.manager)
    assert client.get(f"/admin/companies/{world.a.company.id}/sso/").status_code in (302, 403)


def test_start_without_a_company_of_the_domain_goes_back_to_the_login(client):
    answer = client.get("/sso/start?domain=nowhere.example")
    assert answer.status_code == 302 and answer.location == "/login"


def test_a_bookmark_of_the_company_sign_in_starts_it(client, alpha, oidc_provider):
    answer = client.get(f"/sso/start?domain={DOMAIN}")
    assert answer.status_code == 302 and answer.location.startswith(oidc_provider.issuer)


def test_starting_the_company_sign_in_is_no_failed_login(app, client, ada, oidc_provider):
    app.config["LOGIN_LIMIT_PER_IP"] = "3/minute"
    for _ in range(5):
        start(client, ada.email, oidc_provider)


def test_a_suspended_company_cannot_sign_in(client, db, ada, alpha, oidc_provider):
    back = through_provider(
        requests.Session(), start(client, ada.email, oidc_provider), "ada", CALLBACK
    )
    alpha.company.is_active = False  # suspended while the person was at the provider
    db.flush()
    answer = client.get(back.removeprefix("http://localhost"), headers=EN)
    assert answer.status_code == 403
    assert "access to Lernwerk is paused" in answer.get_data(as_text=True)
    assert client.get("/learn/").status_code == 302
