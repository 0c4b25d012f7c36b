"""Logging in and out, throttling, sessions, password change, reset and invitation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lms.models import AccountToken, Role, TokenPurpose
from lms.services import accounts
from tests.conftest import PASSWORD
from tests.factories import make_company, make_user
from tests.two_factor_helpers import set_up_at_sign_in

EN = {"Accept-Language": "en"}


def post_login(client, email, password, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra}, headers=EN)


def test_login_page_is_german_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Anmelden" in page and "Passwort vergessen?" in page


def test_login_lands_on_the_start_page_of_the_role(client, world):
    response = post_login(client, world.a.employees[0].email, PASSWORD)
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/").location == "/learn/"
    assert "My modules" in client.get("/learn/", headers=EN).get_data(as_text=True)


@pytest.mark.parametrize("who", ["manager", "trainer", "admin"])
def test_each_role_lands_on_its_own_start_page(client, world, login, who):
    user = {"manager": world.a.manager, "trainer": world.trainer, "admin": world.admin}[who]
    expected = {"manager": "/team/", "trainer": "/author/", "admin": "/admin/"}[who]
    login(user)
    assert client.get("/").location == expected
    assert client.get(expected).status_code == 200


def test_email_is_case_insensitive(client, world):
    response = post_login(client, world.a.employees[0].email.upper(), PASSWORD)
    assert response.status_code == 302


def test_unknown_email_and_wrong_password_get_the_same_answer(client, world):
    wrong_password = post_login(client, world.a.employees[0].email, "falsches Passwort 123")
    unknown = post_login(client, "niemand@example.com", "falsches Passwort 123")
    assert wrong_password.status_code == unknown.status_code == 200
    message = "E-mail address or password is not correct."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_failed_login_keeps_the_typed_email(client, world):
    page = post_login(client, "tippfehler@example.com", "x").get_data(as_text=True)
    assert 'value="tippfehler@example.com"' in page


def test_deactivated_user_cannot_log_in(client, db, world):
    user = world.a.employees[0]
    user.is_active = False
    db.flush()
    response = post_login(client, user.email, PASSWORD)
    assert "E-mail address or password is not correct." in response.get_data(as_text=True)


def test_user_of_a_suspended_company_cannot_log_in(client, db, world):
    world.a.company.is_active = False
    db.flush()
    response = post_login(client, world.a.manager.email, PASSWORD)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/profile", "/profile"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_redirects_only_to_same_site_paths(client, world, target, expected):
    response = post_login(client, world.a.employees[0].email, PASSWORD, next=target)
    assert response.location == expected


def test_anonymous_request_is_sent_to_login_with_next(client):
    response = client.get("/team/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_remember_me_lasts_at_most_14_days(client, world):
    response = post_login(client, world.a.employees[0].email, PASSWORD, remember="y")
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("lms_remember=")
    )
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    expiry = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert timedelta(days=13) < expiry - datetime.now(UTC) <= timedelta(days=14, minutes=1)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_without_remember_me_no_remember_cookie_is_set(client, world):
    response = post_login(client, world.a.employees[0].email, PASSWORD)
    assert not any(c.startswith("lms_remember=") for c in response.headers.getlist("Set-Cookie"))


def test_logout_ends_every_session_of_the_user(client, other_client, world, login):
    user = world.a.employees[0]
    login(user)
    login(user, target=other_client)
    assert other_client.get("/learn/").status_code == 200
    client.post("/logout")
    assert client.get("/learn/").status_code == 302
    assert other_client.get("/learn/").status_code == 302


def test_logout_needs_post(client, world, login):
    login(world.a.employees[0])
    assert client.get("/logout").status_code == 405
    assert client.get("/learn/").status_code == 200


def test_remember_cookie_dies_with_logout_elsewhere(app, client, other_client, world, login):
    user = world.a.employees[0]
    client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("lms_remember")
    assert remember is not None
    login(user, target=other_client)
    other_client.post("/logout")
    fresh = app.test_client()
    fresh.set_cookie("lms_remember", remember.value, domain=remember.domain)
    assert fresh.get("/learn/").status_code == 302


def test_deactivation_ends_sessions_at_once(client, db, world, login):
    user = world.a.employees[0]
    login(user)
    accounts.deactivate_user(db, user)
    assert client.get("/learn/").status_code == 302


# --- Throttling ---------------------------------------------------------------


def test_failed_logins_per_account_are_throttled(client, world):
    email = world.a.employees[0].email
    for _ in range(5):
        assert post_login(client, email, "falsches Passwort 123").status_code == 200
    blocked = post_login(client, email, PASSWORD)
    assert blocked.status_code == 429
    assert "Too many failed attempts for this account" in blocked.get_data(as_text=True)


def test_account_throttle_does_not_block_other_accounts(client, world):
    for _ in range(6):
        post_login(client, world.a.employees[0].email, "falsch falsch falsch")
    assert post_login(client, world.a.employees[1].email, PASSWORD).status_code == 302


def test_failed_logins_per_ip_are_throttled(app, client, world):
    limit = app.config["LOGIN_LIMIT_PER_IP"]
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    try:
        for i in range(3):
            post_login(client, f"ratet{i}@example.com", "falsch falsch falsch")
        assert post_login(client, world.a.employees[0].email, PASSWORD).status_code == 429
    finally:
        app.config["LOGIN_LIMIT_PER_IP"] = limit


def test_successful_logins_do_not_count_towards_the_limit(client, world):
    user = world.a.employees[0]
    for _ in range(7):
        assert post_login(client, user.email, PASSWORD).status_code == 302
        client.post("/logout")


# --- Password change ----------------------------------------------------------


def test_password_change_needs_the_current_password(client, world, login):
    login(world.a.employees[0])
    response = client.post(
        "/profile/password",
        data={
            "current_password": "falsch",
            "new_password": "ein neues gutes Passwort",
            "confirm_password": "ein neues gutes Passwort",
        },
        headers=EN,
    )
    assert "The current password is not correct." in response.get_data(as_text=True)


def test_password_change_applies_policy_and_shows_errors(client, world, login):
    login(world.a.employees[0])
    page = client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "qwerty123456",
            "confirm_password": "qwerty123456",
        },
        headers=EN,
    ).get_data(as_text=True)
    assert "This password is among the most common ones." in page
    assert 'role="alert"' in page and 'aria-invalid="true"' in page


def test_password_change_keeps_this_session_and_ends_others(client, other_client, world, login):
    user = world.a.employees[0]
    login(user)
    login(user, target=other_client)
    new = "Gabelstapler dürfen nur mit Schein"
    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert response.status_code == 302
    assert client.get("/learn/").status_code == 200
    assert other_client.get("/learn/").status_code == 302
    client.post("/logout")
    assert post_login(client, user.email, new).status_code == 302


def test_first_password_must_be_changed(client, db, world):
    with client.application.app_context():
        user, password = accounts.create_admin(db, "neu@zukunftszentrum.example", datetime.now(UTC))
    # An admin: the second factor is set up first (lms/two_factor), then the password.
    assert post_login(client, user.email, password).location == "/login/set-up"
    set_up_at_sign_in(client)
    assert client.get("/admin/").location == "/profile/password"
    new = "Ein eigenes langes Passwort"
    client.post(
        "/profile/password",
        data={"current_password": password, "new_password": new, "confirm_password": new},
    )
    assert client.get("/admin/").status_code == 200


# --- Reset and invitation --------------------------------------------------------


def _link(mail):
    return re.search(r"https?://\S+", mail.body).group(0)


def test_forgot_password_sends_a_link_in_the_users_language(client, db, mails, world):
    user = world.a.employees[0]
    user.language = "en"
    db.flush()
    response = client.post("/password/forgot", data={"email": user.email})
    assert response.status_code == 302
    assert len(mails) == 1 and mails[0].to == user.email
    assert mails[0].subject == "Reset your Lernwerk password"
    assert "/password/reset/" in _link(mails[0])


def test_forgot_password_answers_the_same_for_unknown_addresses(client, mails, world):
    known = client.post(
        "/password/forgot", data={"email": world.a.employees[0].email}, follow_redirects=True
    )
    unknown = client.post(
        "/password/forgot", data={"email": "nobody@example.com"}, follow_redirects=True
    )
    assert len(mails) == 1
    strip = lambda page: re.sub(r'name="csrf_token" value="[^"]*"', "", page)  # noqa: E731
    assert strip(known.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))


def test_reset_link_works_once(client, mails, world):
    user = world.a.employees[0]
    client.post("/password/forgot", data={"email": user.email})
    path = urlsplit(_link(mails[0])).path
    new = "Sicherheitsschuhe immer tragen"
    assert client.post(path, data={"new_password": new, "confirm_password": new}).status_code == 302
    assert post_login(client, user.email, new).status_code == 302
    client.post("/logout")
    again = client.post(path, data={"new_password": new + "!", "confirm_password": new + "!"})
    assert again.status_code == 404
    assert post_login(client, user.email, new + "!").status_code == 200


def test_reset_link_expires(app, client, db, world):
    user = world.a.employees[0]
    with app.app_context():
        raw = accounts.issue_token(
            db, user, TokenPurpose.RESET, datetime.now(UTC), timedelta(hours=2)
        )
    app.config["CLOCK"] = lambda: datetime.now(UTC) + timedelta(hours=2, seconds=1)
    assert client.get(f"/password/reset/{raw}").status_code == 404


def test_a_new_reset_link_replaces_the_old_one(app, db, world):
    user = world.a.employees[0]
    now = datetime.now(UTC)
    with app.app_context():
        first = accounts.issue_token(db, user, TokenPurpose.RESET, now, timedelta(hours=2))
        accounts.issue_token(db, user, TokenPurpose.RESET, now, timedelta(hours=2))
        assert accounts.peek_token(db, first, TokenPurpose.RESET, now) is None


def test_invitations_for_many_people_at_once_replace_each_ones_old_link(app, db, world):
    people = world.a.employees
    now = datetime.now(UTC)
    with app.app_context():
        old = accounts.issue_token(db, people[0], TokenPurpose.INVITE, now, timedelta(days=14))
        raws = accounts.issue_tokens(db, people, TokenPurpose.INVITE, now, timedelta(days=14))
        assert accounts.peek_token(db, old, TokenPurpose.INVITE, now) is None
        for person in people:
            assert accounts.peek_token(db, raws[person.id], TokenPurpose.INVITE, now) == person
    assert len(set(raws.values())) == len(people)


def test_tokens_are_stored_only_as_hashes(app, db, world):
    with app.app_context():
        raw = accounts.issue_token(
            db, world.a.employees[0], TokenPurpose.RESET, datetime.now(UTC), timedelta(hours=1)
        )
    stored = db.scalars(select(AccountToken.token_hash)).all()
    assert raw not in stored and len(stored) == 1


def test_invitation_sets_name_and_password_and_logs_in(app, client, db, mails):
    company = make_company(db, "Holzbau Schmid KG")
    invited = make_user(
        db,
        company,
        Role.LEARNER,
        password=None,
        name="",
        email="neu@holzbau.example",
        language="en",
    )
    with app.app_context(), app.test_request_context():
        raw = accounts.issue_token(
            db, invited, TokenPurpose.INVITE, datetime.now(UTC), timedelta(days=14)
        )
    opened = client.get(f"/invitation/{raw}", headers=EN)
    assert opened.status_code == 302 and opened.location == "/invitation"  # token off the URL
    page = client.get("/invitation", headers=EN).get_data(as_text=True)
    assert "Holzbau Schmid KG has invited you" in page
    new = "Holz ist ein nachwachsender Rohstoff"
    response = client.post(
        f"/invitation/{raw}",
        data={"display_name": "Petra Schmid", "new_password": new, "confirm_password": new},
    )
    assert response.status_code == 302
    assert client.get("/learn/").status_code == 200
    db.refresh(invited)
    assert invited.display_name == "Petra Schmid"
    assert client.get(f"/invitation/{raw}").status_code == 404


def test_invitation_form_error_keeps_the_typed_name(app, client, db):
    company = make_company(db)
    invited = make_user(db, company, password=None)
    with app.app_context():
        raw = accounts.issue_token(
            db, invited, TokenPurpose.INVITE, datetime.now(UTC), timedelta(days=14)
        )
    page = client.post(
        f"/invitation/{raw}",
        data={"display_name": "Ömer Çelik", "new_password": "kurz", "confirm_password": "kurz"},
        headers=EN,
    ).get_data(as_text=True)
    assert 'value="Ömer Çelik"' in page
    assert "Use at least 12 characters" in page


def test_invite_command_mails_the_link_in_the_company_language(app, db, mails, world):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "invite",
            "neu@alpha.example",
            "--name",
            "Neu",
            "--company",
            world.a.company.short_name,
            "--department",
            "Lager",
        ]
    )
    assert result.exit_code == 0, result.output
    assert mails[-1].subject == "Ihre Einladung zu Lernwerk"
    assert "/invitation/" in mails[-1].body


def test_logins_are_kept_with_a_shortened_address_for_the_persons_own_export(client, db, world):
    import json

    from lms.models import LoginEvent

    user = world.a.employees[0]
    client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
        headers={"User-Agent": "Tablet-Browser/1.0"},
    )
    post_login(client, user.email, "falsches Passwort 123")  # failed logins are not kept here
    (event,) = db.scalars(select(LoginEvent)).all()
    assert (event.network, event.user_agent) == ("203.0.113.0/24", "Tablet-Browser/1.0")
    data = json.loads(client.get("/learn/my-data.json").get_data(as_text=True))
    assert data["logins"][0]["network"] == "203.0.113.0/24"
    assert "203.0.113.77" not in json.dumps(data)


def test_ipv6_addresses_are_shortened_to_the_network():
    from lms.audit.service import shorten_address

    assert shorten_address("2001:db8:85a3::8a2e:370:7334") == "2001:db8:85a3::/48"
    assert shorten_address("kaputt") == "" and shorten_address(None) == ""


def test_a_reset_link_leaves_the_address_bar_and_works_from_the_session(client, mails, world):
    user = world.a.employees[0]
    client.post("/password/forgot", data={"email": user.email})
    path = urlsplit(_link(mails[0])).path
    opened = client.get(path)
    assert opened.status_code == 302 and opened.location == "/password/reset"
    assert client.get("/password/reset").status_code == 200
    new = "Sicherheitsschuhe immer tragen"
    done = client.post("/password/reset", data={"new_password": new, "confirm_password": new})
    assert done.status_code == 302
    assert client.get("/password/reset").status_code == 404  # used up and forgotten
    assert post_login(client, user.email, new).status_code == 302


def test_the_reset_page_without_a_link_is_not_found(client):
    assert client.get("/password/reset").status_code == 404


def test_the_access_log_masks_tokens_in_links():
    from lms.serving import mask

    line = 'GET /password/reset/abcDEF123-_x?x=1 HTTP/1.1 "https://x.example/invitation/tok123"'
    assert mask(line) == 'GET /password/reset/***?x=1 HTTP/1.1 "https://x.example/invitation/***"'
    assert mask("GET /calendar/s3cret.ics HTTP/1.1") == "GET /calendar/*** HTTP/1.1"
    assert mask("GET /learn/course/it-sicherheit HTTP/1.1") == (
        "GET /learn/course/it-sicherheit HTTP/1.1"
    )
    # A package launch's token: its files (and the referrer of their requests), commits.
    assert mask(
        'GET /package-files/Tok_9-x/index.html "https://p.example/package-files/Tok_9-x/a.js"'
    ) == ('GET /package-files/***/index.html "https://p.example/package-files/***/a.js"')
    assert mask("POST /learn/package-commits/Tok_9-x HTTP/1.1") == (
        "POST /learn/package-commits/*** HTTP/1.1"
    )
    assert mask("POST /xapi/cmi5/fetch/Tok_9-x HTTP/1.1") == "POST /xapi/cmi5/fetch/*** HTTP/1.1"
    assert mask("GET /lti/continue/T1ck3t HTTP/1.1") == "GET /lti/continue/*** HTTP/1.1"


def test_the_log_mail_backend_never_logs_the_body(app, db, caplog):
    import logging

    from lms.mail import send_mail

    app.config["MAIL_BACKEND"] = "log"
    with app.app_context(), caplog.at_level(logging.DEBUG, logger="lms.mail"):
        send_mail("a@example.com", "Reset", "https://x/password/reset/SECRET-TOKEN")
    assert "a@example.com" in caplog.text and "SECRET-TOKEN" not in caplog.text


def test_unexpected_fields_on_the_profile_are_logged_as_a_security_event(
    client, db, world, login, caplog
):
    import logging

    from lms.models import AuditEntry

    user = world.a.employees[0]
    login(user)
    with caplog.at_level(logging.WARNING, logger="lms.security"):
        response = client.post(
            "/profile",
            data={
                "display_name": "Jonas B.",
                "language": "de",
                "role": "admin",
                "company_id": "99",
            },
        )
    assert response.status_code == 302
    db.refresh(user)
    assert user.display_name == "Jonas B." and user.company_id == world.a.company.id
    assert "Unexpected fields company_id, role posted to POST /profile" in caplog.text
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "security.unexpected-fields"))
    assert entry is not None and entry.actor_id == user.id
    assert entry.changes == {"fields": [None, ["company_id", "role"]]}


# --- A refused new password: answered 422, nothing kept (issue 17) -------------------------

COMMON = "qwerty123456"  # long enough for the form, refused by the policy


def test_an_invitation_refusing_the_new_password_answers_422_and_keeps_nothing(app, client, db):
    company = make_company(db)
    invited = make_user(db, company, password=None, name="Alter Name")
    with app.app_context():
        raw = accounts.issue_token(
            db, invited, TokenPurpose.INVITE, datetime.now(UTC), timedelta(days=14)
        )
    assert client.get(f"/invitation/{raw}").location == "/invitation"
    refused = client.post(
        "/invitation",
        data={"display_name": "Neuer Name", "new_password": COMMON, "confirm_password": COMMON},
        headers=EN,
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "This password is among the most common ones." in page
    assert 'value="Neuer Name"' in page  # the typed name stays in the form
    db.refresh(invited)
    assert (invited.display_name, invited.password_hash) == ("Alter Name", None)
    good = "Gabelstapler dürfen nur mit Schein"
    accepted = client.post(
        "/invitation",
        data={"display_name": "Neuer Name", "new_password": good, "confirm_password": good},
    )
    assert accepted.status_code == 302  # the link still works
    db.refresh(invited)
    assert invited.display_name == "Neuer Name"


def test_a_reset_or_change_refusing_the_new_password_answers_422(client, db, mails, world):
    user = world.a.employees[0]
    client.post("/password/forgot", data={"email": user.email})
    path = urlsplit(_link(mails[0])).path
    refused = client.post(path, data={"new_password": COMMON, "confirm_password": COMMON})
    assert refused.status_code == 422
    post_login(client, user.email, PASSWORD)
    changed = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": COMMON, "confirm_password": COMMON},
        headers=EN,
    )
    assert changed.status_code == 422
    assert "This password is among the most common ones." in changed.get_data(as_text=True)
    client.post("/logout")
    assert post_login(client, user.email, PASSWORD).status_code == 302  # unchanged
