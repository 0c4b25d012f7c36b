"""Sign-in throttling shared by every worker: the guesser is slowed, not the account owner."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from lms.models import SignInFailure
from lms.security import limiter
from lms.services import throttling
from tests.conftest import PASSWORD

EN = {"Accept-Language": "en"}
WRONG = "falsches Passwort 123"


def post_login(client, email, password, network="198.51.100.7"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        headers=EN,
        environ_base={"REMOTE_ADDR": network},
    )


def checked(response) -> bool:
    """The password was checked (and found wrong), rather than refused unchecked."""
    return response.status_code == 200 and "password is not correct" in response.get_data(
        as_text=True
    )


def test_a_guesser_rotating_networks_gets_ten_guesses_an_hour(client, world):
    email = world.a.employees[0].email
    answers = [post_login(client, email, WRONG, f"203.0.{i}.9") for i in range(30)]
    assert sum(checked(a) for a in answers) == 10
    assert all(a.status_code == 429 for a in answers[10:])
    # Even the right password from yet another network is not checked now.
    assert post_login(client, email, PASSWORD, "192.0.2.1").status_code == 429


def test_the_count_is_kept_in_the_database_not_in_a_worker(client, db, world):
    email = world.a.employees[0].email
    for _ in range(5):
        assert checked(post_login(client, email, WRONG))
        limiter.reset()  # as if the next guess reached another worker or instance
    assert post_login(client, email, WRONG).status_code == 429
    assert db.scalar(select(func.count()).select_from(SignInFailure)) == 5


def test_the_owner_signs_in_from_another_network_after_a_burst(client, world):
    user = world.a.employees[0]
    for _ in range(8):
        post_login(client, user.email, WRONG, "203.0.113.50")
    assert post_login(client, user.email, PASSWORD, "198.51.100.20").status_code == 302


def test_a_browser_the_owner_signed_in_on_keeps_its_own_budget(app, client, world):
    user = world.a.employees[0]
    assert post_login(client, user.email, PASSWORD).status_code == 302  # sets the device cookie
    client.post("/logout")
    guesser = app.test_client()
    for i in range(30):
        post_login(guesser, user.email, WRONG, f"203.0.{i}.9")
    assert post_login(guesser, user.email, PASSWORD, "192.0.2.1").status_code == 429
    # The owner's browser: one typo, then the right password.
    assert checked(post_login(client, user.email, WRONG))
    assert post_login(client, user.email, PASSWORD).status_code == 302


def test_a_device_cookie_of_one_account_does_not_help_guessing_another(app, client, world):
    own, victim = world.a.employees[0], world.a.employees[1]
    assert post_login(client, own.email, PASSWORD).status_code == 302
    client.post("/logout")
    answers = [post_login(client, victim.email, WRONG, f"203.0.{i}.9") for i in range(15)]
    assert sum(checked(a) for a in answers) == 10


def test_unknown_addresses_are_throttled_like_known_ones(client):
    answers = [post_login(client, "niemand@example.com", WRONG, f"203.0.{i}.9") for i in range(12)]
    assert [a.status_code for a in answers] == [200] * 10 + [429] * 2


def test_failures_age_out_of_the_window(app, client, world):
    email = world.a.employees[0].email
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    app.config["CLOCK"] = lambda: start
    for i in range(10):
        post_login(client, email, WRONG, f"203.0.{i}.9")
    assert post_login(client, email, PASSWORD).status_code == 429
    app.config["CLOCK"] = lambda: start + timedelta(minutes=61)
    assert post_login(client, email, PASSWORD).status_code == 302


def test_the_refusal_says_how_long_to_wait_and_keeps_the_address(app, client, world):
    email = world.a.employees[0].email
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    app.config["CLOCK"] = lambda: start
    for _ in range(5):
        post_login(client, email, WRONG)
    page = post_login(client, email, WRONG).get_data(as_text=True)
    assert "Please wait 15 minutes or reset your password." in page
    assert f'value="{email}"' in page


def test_failed_sign_ins_are_logged_with_the_network_never_the_typed_text(client, world, caplog):
    user = world.a.employees[0]
    with caplog.at_level(logging.WARNING, logger="lms.security"):
        post_login(client, user.email, WRONG, "203.0.113.77")
        post_login(client, "mein-passwort-im-adressfeld", WRONG, "203.0.113.77")
    text = caplog.text
    assert f"Failed sign-in for user {user.id} from network 203.0.113.0/24" in text
    assert "Failed sign-in for an unknown account from network 203.0.113.0/24" in text
    assert user.email not in text and "mein-passwort" not in text and WRONG not in text


def test_the_current_password_check_is_throttled(client, world, login):
    login(world.a.employees[0])
    new = "ein neues gutes Passwort"

    def change(current):
        return client.post(
            "/profile/password",
            data={"current_password": current, "new_password": new, "confirm_password": new},
            headers=EN,
        )

    for _ in range(5):
        assert "The current password is not correct." in change(WRONG).get_data(as_text=True)
    refused = change(PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed attempts for this account" in refused.get_data(as_text=True)


def test_reset_mails_are_limited_per_address(client, mails, world):
    user = world.a.employees[0]
    for i in range(12):
        response = client.post(
            "/password/forgot",
            data={"email": user.email},
            environ_base={"REMOTE_ADDR": f"203.0.{i}.9"},
        )
        assert response.status_code == 302  # the same answer every time
    assert len([m for m in mails if m.to == user.email]) == 3


def test_retention_prunes_failures_after_a_day(db, client, world):
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for age in (timedelta(hours=1), timedelta(days=2)):
        db.add(SignInFailure(kind="login", account="x" * 64, network="", at=now - age))
    db.flush()
    assert throttling.prune(db, now) == 1
    assert db.scalar(select(func.count()).select_from(SignInFailure)) == 1


def test_the_admin_sees_failed_sign_ins_on_the_persons_page(app, client, world, login):
    person = world.a.employees[0]
    guesser = app.test_client()
    for _ in range(3):
        post_login(guesser, person.email, WRONG)
    login(world.admin)
    page = client.get(
        f"/admin/companies/{world.a.company.id}/people/{person.id}/edit", headers=EN
    ).get_data(as_text=True)
    assert "3 failed sign-ins or password checks in the last 24 hours." in page


def test_a_password_reset_lets_the_owner_in_from_a_new_browser_after_a_burst(
    app, client, mails, world
):
    from urllib.parse import urlsplit

    user = world.a.employees[0]
    guesser = app.test_client()
    for i in range(12):
        post_login(guesser, user.email, WRONG, f"203.0.{i}.9")
    assert post_login(client, user.email, PASSWORD, "192.0.2.1").status_code == 429
    client.post("/password/forgot", data={"email": user.email})
    link = next(word for word in mails[-1].body.split() if "/password/reset/" in word)
    client.get(urlsplit(link).path)
    new = "Sicherheitsschuhe immer tragen"
    done = client.post("/password/reset", data={"new_password": new, "confirm_password": new})
    assert done.status_code == 302
    assert post_login(client, user.email, new, "192.0.2.1").status_code == 302
    # The guesser's browser is still held back.
    assert post_login(guesser, user.email, new, "203.0.99.9").status_code == 429
