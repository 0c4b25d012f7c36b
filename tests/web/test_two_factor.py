"""The second factor in the browser: the step after the password, the admin's forced
set-up, the own page (recovery codes, turn off), the admin's reset of a lost phone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from lms.models import AuditEntry, Role, SignInFailure, User
from lms.security import limiter
from tests.conftest import PASSWORD
from tests.factories import make_user
from tests.two_factor_helpers import TOTP_SECRET, set_up_at_sign_in

EN = {"Accept-Language": "en"}
NOW = datetime(2026, 12, 5, 9, 0, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(app, monkeypatch):
    """The app's clock, moved by the tests: `frozen["now"] += timedelta(...)`."""
    clock = {"now": NOW}
    monkeypatch.setitem(app.config, "CLOCK", lambda: clock["now"])
    return clock


def app_code(at: datetime, secret: str = TOTP_SECRET) -> str:
    return pyotp.TOTP(secret).at(at)


def password_step(client, user, network="198.51.100.7", **extra):
    return client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, **extra},
        headers=EN,
        environ_base={"REMOTE_ADDR": network},
    )


def enter_code(client, typed, network="198.51.100.7"):
    return client.post(
        "/login/code", data={"code": typed}, headers=EN, environ_base={"REMOTE_ADDR": network}
    )


def signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


def page(response) -> str:
    return response.get_data(as_text=True)


# --- The step after the password --------------------------------------------------


def test_an_admin_enters_the_code_after_the_password(client, world, frozen):
    response = password_step(client, world.admin, next="/admin/staff")
    assert response.location == "/login/code"
    form = page(client.get("/login/code", headers=EN))
    assert 'autocomplete="one-time-code"' in form and 'inputmode="numeric"' in form
    assert "Use a recovery code" in form
    response = enter_code(client, app_code(frozen["now"]))
    assert response.location == "/admin/staff"
    assert client.get("/admin/staff").status_code == 200


def test_the_half_signed_in_state_opens_nothing(client, world):
    assert password_step(client, world.admin).location == "/login/code"
    for path in ("/admin/", "/admin/staff", "/profile", "/profile/two-factor", "/author/", "/"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login"), path
    assert client.post("/admin/staff", data={"display_name": "X"}).location.startswith("/login")


def test_a_wrong_code_is_refused_in_words(client, world, frozen):
    password_step(client, world.admin)
    response = enter_code(client, "123456" if app_code(frozen["now"]) != "123456" else "654321")
    assert response.status_code == 200
    assert "This code is not correct" in page(response)
    assert not signed_in(client)


def test_a_code_seen_once_does_not_sign_in_again(client, other_client, world, frozen):
    typed = app_code(frozen["now"])
    password_step(client, world.admin)
    assert enter_code(client, typed).status_code == 302
    frozen["now"] += timedelta(seconds=10)  # the same 30 seconds, another browser
    password_step(other_client, world.admin, network="203.0.113.9")
    response = enter_code(other_client, typed, network="203.0.113.9")
    assert response.status_code == 200 and "not correct" in page(response)
    assert not signed_in(other_client)


def test_wrong_codes_are_throttled_like_passwords(client, db, world, frozen):
    password_step(client, world.admin)
    right = app_code(frozen["now"])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert enter_code(client, wrong).status_code == 200
        limiter.reset()  # the count is in the database, whichever worker answers
    response = enter_code(client, right)
    assert response.status_code == 429 and "Too many wrong codes" in page(response)
    assert not signed_in(client)
    failures = db.scalar(
        select(func.count()).select_from(SignInFailure).where(SignInFailure.kind == "totp")
    )
    assert failures == 5
    # A quarter of an hour later the right code works.
    frozen["now"] += timedelta(minutes=15, seconds=30)
    password_step(client, world.admin)
    assert enter_code(client, app_code(frozen["now"])).status_code == 302


def test_the_network_limit_applies_to_the_code_too(app, client, world, frozen):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    password_step(client, world.admin)
    for _ in range(3):
        assert enter_code(client, "000000", network="192.0.2.44").status_code == 200
    assert enter_code(client, app_code(frozen["now"]), network="192.0.2.44").status_code == 429


def test_the_step_expires_after_five_minutes(client, world, frozen):
    password_step(client, world.admin)
    frozen["now"] += timedelta(minutes=5, seconds=1)
    response = enter_code(client, app_code(frozen["now"]))
    assert response.location == "/login"
    assert "took too long" in page(client.get("/login", headers=EN))
    assert not signed_in(client)


def test_remember_me_carries_through_the_second_step(client, world, frozen):
    password_step(client, world.admin, remember="y")
    assert client.get_cookie("lms_remember") is None  # not before the code
    enter_code(client, app_code(frozen["now"]))
    assert client.get_cookie("lms_remember") is not None


def test_a_password_changed_meanwhile_ends_the_step(client, db, world, frozen):
    password_step(client, world.admin)
    world.admin.session_version += 1  # e.g. the password was reset elsewhere
    db.flush()
    assert enter_code(client, app_code(frozen["now"])).location == "/login"


def test_a_recovery_code_signs_in_once(client, other_client, db, world, frozen):
    from lms.audit.service import Actor
    from lms.two_factor import service

    with client.application.app_context():
        codes = service.renew_recovery_codes(db, Actor(world.admin), world.admin, NOW)
    password_step(client, world.admin)
    assert "recovery code" in page(client.get("/login/recovery-code", headers=EN))
    response = client.post("/login/recovery-code", data={"code": codes[0].lower()}, headers=EN)
    assert response.status_code == 302
    assert "9 codes are left" in page(client.get("/", headers=EN, follow_redirects=True))
    assert signed_in(client)
    password_step(other_client, world.admin, network="203.0.113.9")
    response = other_client.post(
        "/login/recovery-code",
        data={"code": codes[0]},
        headers=EN,
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert response.status_code == 200 and "was used already" in page(response)
    assert not signed_in(other_client)
    used = db.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "two_factor.recovery_code_used")
    ).all()
    assert len(used) == 1


# --- Admins must set it up ------------------------------------------------------------


def test_an_admin_without_a_second_factor_sets_it_up_before_anything_else(
    app, client, db, world, frozen
):
    admin = make_user(db, None, Role.ADMIN, name="Neue Admin", second_factor=False)
    response = password_step(client, admin, next="/admin/staff")
    assert response.location == "/login/set-up"
    # Not signed in: every other page leads to the login page.
    assert client.get("/admin/").location.startswith("/login")
    set_up = page(client.get("/login/set-up", headers=EN))
    assert "<svg" in set_up and "QR code for your authenticator app" in set_up
    assert "Administrators log in with their password and a code" in set_up
    secret = re.search(r'class="two-factor__secret"[^>]*>([A-Z2-7 ]+)<', set_up).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", secret)
    assert app.config["PROVIDER_NAME"] in set_up
    # Reloading the page shows the same seed (the app scanned it already).
    assert secret in page(client.get("/login/set-up", headers=EN))
    plain = secret.replace(" ", "")
    wrong = client.post("/login/set-up", data={"code": "000000"}, headers=EN)
    assert "does not match" in page(wrong) and not signed_in(client)
    response = client.post("/login/set-up", data={"code": app_code(NOW, plain)}, headers=EN)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([A-Z0-9]{4}-[A-Z0-9]{4})</code></li>", page(response))
    assert len(codes) == 10
    assert 'href="/admin/staff"' in page(response)  # on to where the admin was going
    assert signed_in(client)
    db.refresh(admin)
    assert admin.totp_confirmed_at is not None and plain not in admin.totp_secret
    entries = db.scalars(select(AuditEntry).where(AuditEntry.subject_id == admin.id)).all()
    assert [e.action for e in entries] == ["two_factor.set_up"]
    # The next sign-in asks for the code.
    client.post("/logout")
    frozen["now"] += timedelta(minutes=1)
    assert password_step(client, admin).location == "/login/code"


def test_the_set_up_step_is_not_offered_to_others(client, world):
    password_step(client, world.a.employees[0])
    assert signed_in(client)  # learners sign in with the password alone
    client.post("/logout")
    assert client.get("/login/set-up").location == "/login"
    assert client.get("/login/code").location == "/login"


def test_an_admin_signed_in_before_it_was_required_is_sent_to_set_it_up(client, db, world):
    trainer = make_user(db, None, Role.TRAINER, name="Bald Admin")
    password_step(client, trainer)
    assert signed_in(client)
    trainer.grant(Role.ADMIN)  # made admin, with a session from before
    db.flush()
    for path in ("/admin/", "/admin/staff", "/author/", "/profile", "/profile/two-factor"):
        assert client.get(path).location == "/profile/two-factor/set-up", path
    assert client.post("/admin/staff", data={}).location == "/profile/two-factor/set-up"
    form = page(client.get("/profile/two-factor/set-up", headers=EN))
    assert "Administrators log in with their password and a code" in form
    assert "Log out and set it up later" in form
    assert 'name="current_password"' not in form
    secret = re.search(r'class="two-factor__secret"[^>]*>([A-Z2-7 ]+)<', form).group(1)
    response = client.post(
        "/profile/two-factor/set-up",
        data={"code": app_code(NOW, secret.replace(" ", ""))},
        headers=EN,
    )
    assert response.status_code == 200 and "Your recovery codes" in page(response)
    assert client.get("/admin/").status_code == 200


def test_the_test_helper_sets_up_like_a_person(client, db):
    admin = make_user(db, None, Role.ADMIN, second_factor=False)
    password_step(client, admin)
    set_up_at_sign_in(client, NOW)
    assert client.get("/admin/").status_code == 200


# --- Trainers may -------------------------------------------------------------------


def test_a_trainer_chooses_it_on_the_profile_and_may_turn_it_off(client, db, world, frozen):
    trainer = world.trainer
    assert password_step(client, trainer).location == "/"  # no second step yet
    profile = page(client.get("/profile", headers=EN))
    assert "Set up the second factor" in profile and "/profile/two-factor" in profile
    settings = page(client.get("/profile/two-factor", headers=EN))
    assert "Turned off" in settings
    form = page(client.get("/profile/two-factor/set-up", headers=EN))
    secret = re.search(r'class="two-factor__secret"[^>]*>([A-Z2-7 ]+)<', form).group(1)
    secret = secret.replace(" ", "")
    response = client.post("/profile/two-factor/set-up", data={"code": app_code(NOW, secret)})
    assert response.status_code == 200
    settings = page(client.get("/profile/two-factor", headers=EN))
    assert "Turned on" in settings and "10 of 10 recovery codes are left" in settings
    client.post("/logout")
    frozen["now"] += timedelta(minutes=1)
    assert password_step(client, trainer).location == "/login/code"
    assert enter_code(client, app_code(frozen["now"], secret)).status_code == 302
    # Turning it off needs the password.
    wrong = client.post("/profile/two-factor/turn-off", data={"off-current_password": "falsch"})
    assert "Das Passwort ist nicht richtig." in page(wrong)
    response = client.post("/profile/two-factor/turn-off", data={"off-current_password": PASSWORD})
    assert response.location == "/profile/two-factor"
    client.post("/logout")
    assert password_step(client, trainer).location == "/"
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_id == trainer.id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["two_factor.set_up", "two_factor.turn_off"]


def test_an_admin_cannot_turn_it_off(client, world, login):
    login(world.admin)
    settings = page(client.get("/profile/two-factor", headers=EN))
    assert "Administrators cannot turn the second factor off" in settings
    assert "off-current_password" not in settings
    response = client.post("/profile/two-factor/turn-off", data={"off-current_password": PASSWORD})
    assert response.status_code == 403


def test_other_people_have_no_second_factor_pages(client, world, login):
    login(world.a.manager)
    for path in ("/profile/two-factor", "/profile/two-factor/set-up"):
        assert client.get(path).status_code == 404
    assert "Second factor" not in page(client.get("/profile", headers=EN))


def test_new_recovery_codes_need_the_password_and_replace_the_old(client, db, world, login):
    login(world.admin)
    response = client.post(
        "/profile/two-factor/recovery-codes", data={"renew-current_password": "falsch"}
    )
    assert "Das Passwort ist nicht richtig." in page(response)
    response = client.post(
        "/profile/two-factor/recovery-codes", data={"renew-current_password": PASSWORD}, headers=EN
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Your earlier recovery codes no longer work" in page(response)
    codes = re.findall(r"<li><code>([A-Z0-9]{4}-[A-Z0-9]{4})</code></li>", page(response))
    assert len(codes) == 10
    again = client.post(
        "/profile/two-factor/recovery-codes", data={"renew-current_password": PASSWORD}
    )
    newer = re.findall(r"<li><code>([A-Z0-9]{4}-[A-Z0-9]{4})</code></li>", page(again))
    assert not set(codes) & set(newer)
    assert "10 of 10" in page(client.get("/profile/two-factor", headers=EN))


def test_an_admin_sets_it_up_again_on_a_new_phone_with_the_password(client, db, world, login):
    login(world.admin)
    form = page(client.get("/profile/two-factor/set-up", headers=EN))
    assert 'name="current_password"' in form
    secret = re.search(r'class="two-factor__secret"[^>]*>([A-Z2-7 ]+)<', form).group(1)
    secret = secret.replace(" ", "")
    code = app_code(NOW, secret)
    refused = client.post(
        "/profile/two-factor/set-up", data={"code": code, "current_password": "falsch"}
    )
    assert "Das Passwort ist nicht richtig." in page(refused)
    response = client.post(
        "/profile/two-factor/set-up", data={"code": code, "current_password": PASSWORD}
    )
    assert response.status_code == 200
    db.refresh(world.admin)
    from lms import secret_box

    with client.application.app_context():
        assert secret_box.open_sealed(world.admin.totp_secret) == secret


# --- The admin's reset ------------------------------------------------------------------


def test_an_admin_resets_a_colleagues_lost_phone(client, other_client, db, world, login, frozen):
    colleague = make_user(db, None, Role.ADMIN, name="Kollegin Kim")
    login(colleague, target=other_client)
    login(world.admin)
    staff = page(client.get("/admin/staff", headers=EN))
    assert "Reset the second factor of Kollegin Kim (lost phone)" in staff
    assert "Reset the second factor of Admin Anna" not in staff  # not one's own
    response = client.post(f"/admin/staff/{colleague.id}/second-factor/reset")
    assert response.location == "/admin/staff"
    assert "richtet sie ihn neu ein" in page(client.get("/admin/staff"))
    db.refresh(colleague)
    assert colleague.totp_secret is None and colleague.totp_confirmed_at is None
    assert other_client.get("/admin/").location.startswith("/login")  # logged out
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "two_factor.reset"))
    assert entry.subject_id == colleague.id and entry.actor_id == world.admin.id
    audit_page = page(client.get("/admin/audit", headers=EN))
    assert "Second factor reset by an administrator" in audit_page
    # The colleague sets it up anew at the next sign-in.
    frozen["now"] += timedelta(minutes=2)
    response = password_step(other_client, colleague, network="203.0.113.9")
    assert response.location == "/login/set-up"
    # Nothing to reset twice.
    client.post(f"/admin/staff/{colleague.id}/second-factor/reset")
    assert "hat keinen zweiten Faktor" in page(client.get("/admin/staff"))


def test_only_staff_can_be_reset_and_only_by_admins(client, db, world, login):
    learner = world.a.employees[0]
    login(world.admin)
    assert client.post(f"/admin/staff/{learner.id}/second-factor/reset").status_code == 404
    client.post("/logout")
    login(world.trainer)
    assert client.post(f"/admin/staff/{world.admin.id}/second-factor/reset").status_code == 403
    assert db.get(User, world.admin.id).totp_secret is not None
