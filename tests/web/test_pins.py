"""Signing in with the company's code, a personnel number and a PIN; choosing a PIN;
a manager's reset (lms/pins)."""

from __future__ import annotations

import difflib
import html
import re

import pytest
from sqlalchemy import select

from lms.models import AuditEntry, Role, User
from lms.pins.views import MUST_CHOOSE_PIN
from tests import factories
from tests.shared_device_helpers import enrolled_cookie

EN = {"Accept-Language": "en"}
PIN = "482913"
WRONG_DETAILS = "The details are not correct."
LOCK_HINT = "After several wrong PINs the PIN is locked"


def shop_floor_person(db, setup, number="4711", pin: str | None = PIN, index=0):
    """An employee of `setup`'s company without an e-mail address, with a PIN."""
    person = factories.make_user(
        db,
        setup.company,
        Role.LEARNER,
        department=setup.departments[index],
        personnel_number=number,
        password=None,
        name=f"Werker {number}",
    )
    person.email = None
    if pin:
        person.pin_hash = factories.hash_password(pin)
    db.flush()
    return person


def sign_in(client, code, number, pin, network="198.51.100.7", **extra):
    return client.post(
        "/pin/",
        data={"code": code, "number": number, "pin": pin, **extra},
        headers=EN,
        environ_base={"REMOTE_ADDR": network},
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_login_page_links_to_the_pin_sign_in(client):
    page = text(client.get("/login", headers=EN))
    assert 'href="/pin/"' in page and "Log in without an e-mail address" in page


def test_the_pin_page_asks_code_number_and_a_numeric_pin(client):
    page = text(client.get("/pin/", headers=EN))
    assert "Company&#39;s sign-in code" in page or "Company's sign-in code" in page
    assert "Personnel number or user name" in page
    assert 'inputmode="numeric"' in page and 'autocomplete="current-password"' in page
    assert LOCK_HINT in page


def test_a_person_signs_in_with_code_number_and_pin(client, db, world):
    person = shop_floor_person(db, world.a)
    code = world.a.company.sign_in_code
    response = sign_in(client, f" {code.lower()} ", "4711", PIN)
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/learn/", headers=EN).status_code == 200
    db.refresh(person)
    assert person.last_login_at is not None
    assert client.get("/profile", headers=EN).status_code == 200


def test_next_is_followed_when_it_stays_on_the_site(client, db, world):
    shop_floor_person(db, world.a)
    code = world.a.company.sign_in_code
    assert sign_in(client, code, "4711", PIN, next="/notices/").location == "/notices/"
    client.post("/logout")
    assert sign_in(client, code, "4711", PIN, next="https://evil.example/").location == "/"


def test_wrong_pin_unknown_number_no_pin_and_locked_answer_alike(client, db, world):
    code = world.a.company.sign_in_code
    shop_floor_person(db, world.a, "1")
    shop_floor_person(db, world.a, "2", pin=None)
    locked = shop_floor_person(db, world.a, "3")
    locked.pin_locked_at = locked.created_at
    db.flush()
    answers = [
        sign_in(client, code, "1", "950274"),  # wrong PIN
        sign_in(client, code, "999", PIN),  # nobody has the number
        sign_in(client, code, "2", PIN),  # no PIN chosen yet
        sign_in(client, code, "3", PIN),  # the right PIN, but locked
        sign_in(client, "ZZZZZZ", "1", PIN),  # no company has the code
    ]
    assert {a.status_code for a in answers} == {200}
    for answer in answers:
        page = text(answer)
        assert WRONG_DETAILS in page and LOCK_HINT in page
        assert "Werker" not in page
    # Nothing else tells them apart: the forms differ only in what was typed back.
    unsigned = [re.sub(r'name="csrf_token" value="[^"]*"', "", text(a)) for a in answers]
    bodies = {b.replace('value="999"', "").replace('value="1"', "") for b in unsigned}
    bodies = {b.replace('value="2"', "").replace('value="3"', "") for b in bodies}
    bodies = {b.replace(f'value="{code}"', "").replace('value="ZZZZZZ"', "") for b in bodies}
    assert len(bodies) == 1, "\n".join(difflib.unified_diff(*[b.splitlines() for b in bodies]))


def test_a_deactivated_person_cannot_sign_in_with_the_right_pin(client, db, world):
    person = shop_floor_person(db, world.a)
    person.is_active = False
    db.flush()
    response = sign_in(client, world.a.company.sign_in_code, "4711", PIN)
    assert response.status_code == 200 and WRONG_DETAILS in text(response)


def test_the_account_budget_throttles_with_429(client, db, world):
    person = shop_floor_person(db, world.a)
    code = world.a.company.sign_in_code
    answers = [sign_in(client, code, "4711", f"95027{i}", f"203.0.{i}.9") for i in range(7)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    assert "Too many wrong attempts" in text(answers[-1])
    # Even the right PIN is not checked now; the PIN is not locked by the budget.
    assert sign_in(client, code, "4711", PIN, "192.0.2.1").status_code == 429
    db.refresh(person)
    assert person.pin_locked_at is None


def test_unknown_numbers_are_throttled_just_the_same(client, db, world):
    code = world.a.company.sign_in_code
    answers = [sign_in(client, code, "nobody", f"95027{i}", f"203.0.{i}.9") for i in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]


def test_a_shared_tablet_signs_in_a_whole_shift_from_one_address(app, client, db, world):
    code = world.a.company.sign_in_code
    people = [shop_floor_person(db, world.a, str(100 + i)) for i in range(35)]
    for person in people:
        # One typo each now and then: failures of others do not add up to a refusal.
        if person.id % 5 == 0:
            assert sign_in(client, code, person.personnel_number, "950274").status_code == 200
        assert sign_in(client, code, person.personnel_number, PIN).status_code == 302
        client.post("/logout")


def test_one_address_guessing_many_numbers_is_refused(app, client, db, world):
    app.config["PIN_LIMIT_PER_NETWORK"] = "4 per 15 minutes"
    code = world.a.company.sign_in_code
    shop_floor_person(db, world.a, "77")
    answers = [sign_in(client, code, str(i), "950274") for i in range(5)]
    assert [a.status_code for a in answers] == [200] * 4 + [429]
    # Refused from that network, whoever it is ...
    assert sign_in(client, code, "77", PIN).status_code == 429
    # ... but not from another one.
    assert sign_in(client, code, "77", PIN, "192.0.2.1").status_code == 302


def lock_by_guessing(client, code, number, times):
    for i in range(times):
        answer = sign_in(client, code, number, f"95027{i}")
        assert answer.status_code == 200 and WRONG_DETAILS in text(answer)


def test_the_pin_locks_after_repeated_failures_until_a_manager_resets_it(
    app, client, other_client, db, world, login
):
    app.config.update(PIN_LIMIT_PER_ACCOUNT="100 per hour", PIN_LOCK_AFTER=4)
    person = shop_floor_person(db, world.a)
    code = world.a.company.sign_in_code
    lock_by_guessing(client, code, "4711", 4)
    db.refresh(person)
    assert person.pin_locked_at is not None
    locked = db.scalars(select(AuditEntry).where(AuditEntry.action == "pin.locked")).one()
    assert (locked.actor_id, locked.subject_id, locked.address) == (
        None,
        person.id,
        "198.51.100.0/24",
    )
    # The right PIN is refused now, with the same answer as a wrong one.
    answer = sign_in(client, code, "4711", PIN)
    assert answer.status_code == 200 and WRONG_DETAILS in text(answer)

    # The manager sees the lock on the person page and resets the PIN.
    manager = login(world.a.manager, target=other_client)
    page = text(manager.get(f"/team/people/{person.id}", headers=EN))
    assert "Locked since" in page and "Reset PIN" in page
    reset = manager.post(f"/team/people/{person.id}/pin/reset", headers=EN)
    assert reset.status_code == 302 and reset.location == f"/team/people/{person.id}"
    db.refresh(person)
    assert (person.pin_hash, person.pin_locked_at) == (None, None)
    assert (
        db.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_id == person.id)
            .order_by(AuditEntry.id.desc())
        ).first()
        == "pin.reset"
    )
    page = text(manager.get(f"/team/people/{person.id}", headers=EN))
    assert "No PIN yet" in page

    # Next, the person chooses a new PIN (after a card's first use) and signs in with it.
    person.pin_hash = factories.hash_password("950274")
    person.pin_set_at = person.created_at
    db.flush()
    assert sign_in(client, code, "4711", "950274").status_code == 302


def test_a_manager_of_another_company_or_department_cannot_reset(client, db, world, login):
    person = shop_floor_person(db, world.a, index=1)  # Büro, not the limited manager's Lager
    login(world.b.manager)
    assert client.post(f"/team/people/{person.id}/pin/reset").status_code == 404
    client.post("/logout")
    login(world.a.limited_manager)
    assert client.post(f"/team/people/{person.id}/pin/reset").status_code == 404
    db.refresh(person)
    assert person.pin_hash is not None


def test_an_admin_resets_on_the_people_page_of_the_company(client, db, world, login):
    person = shop_floor_person(db, world.a)
    login(world.admin)
    base = f"/admin/companies/{world.a.company.id}/people/{person.id}"
    page = text(client.get(f"{base}/edit", headers=EN))
    assert "PIN chosen" in page and f'action="{base}/pin/reset"' in page
    wrong = f"/admin/companies/{world.b.company.id}/people/{person.id}/pin/reset"
    assert client.post(wrong).status_code == 404
    response = client.post(f"{base}/pin/reset", data={"next": f"{base}/edit"})
    assert response.status_code == 302 and response.location == f"{base}/edit"
    db.refresh(person)
    assert person.pin_hash is None


def test_the_reset_is_a_post_with_csrf(app, client, db, world, login):
    person = shop_floor_person(db, world.a)
    login(world.a.manager)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/team/people/{person.id}/pin/reset").status_code == 400
    assert client.get(f"/team/people/{person.id}/pin/reset").status_code == 405


def test_pin_only_on_shared_devices_refuses_a_normal_browser(app, client, db, world):
    world.a.company.pin_only_on_shared_devices = True
    shop_floor_person(db, world.a)
    code = world.a.company.sign_in_code
    response = sign_in(client, code, "4711", PIN)
    assert response.status_code == 403
    assert "only on the company's shared devices" in html.unescape(text(response))
    # On the company's tablet, the code is not asked and the PIN signs in.
    with app.app_context():
        name, value = enrolled_cookie(db, world.a.company)
    client.set_cookie(name, value)
    page = text(client.get("/pin/", headers=EN))
    assert 'name="code"' not in page and world.a.company.name in page
    response = client.post(
        "/pin/",
        data={"number": "4711", "pin": PIN},
        headers=EN,
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.status_code == 302


def test_another_companys_tablet_does_not_sign_in_with_a_pin(app, client, db, world):
    shop_floor_person(db, world.a)
    with app.app_context():
        name, value = enrolled_cookie(db, world.b.company)
    client.set_cookie(name, value)
    response = client.post("/pin/", data={"number": "4711", "pin": PIN}, headers=EN)
    assert response.status_code == 200 and WRONG_DETAILS in text(response)


def choose(client, pin, again=None, current=None):
    data = {"pin": pin, "pin_again": again or pin}
    if current is not None:
        data["current_pin"] = current
    return client.post("/pin/choose", data=data, headers=EN)


def test_must_choose_pin_leads_every_page_to_choosing(client, db, world, login):
    person = shop_floor_person(db, world.a, pin=None)
    person.email = "werker@example.com"
    person.password_hash = factories.hash_password(factories.PASSWORD)
    db.flush()
    login(person)  # as a login card's first use would, then:
    with client.session_transaction() as session:
        session[MUST_CHOOSE_PIN] = True
    for path in ("/", "/profile", "/notices/", "/learn/"):
        response = client.get(path)
        assert response.status_code == 302 and response.location == "/pin/choose", path
    page = text(client.get("/pin/choose", headers=EN))
    assert "Choose your PIN" in page and "Current PIN" not in page
    assert "Log out" in page and 'class="main-nav"' not in page  # no menu leading in circles
    answer = choose(client, "111111")
    assert answer.status_code == 422 and "too easy" in text(answer)
    answer = choose(client, PIN, "482914")
    assert answer.status_code == 422 and "The two PINs differ." in text(answer)
    answer = choose(client, "4711" + "00")
    assert answer.status_code == 302 and answer.location == "/"
    assert client.get("/learn/").status_code == 200
    db.refresh(person)
    assert person.pin_hash is not None
    client.post("/logout")
    assert sign_in(client, world.a.company.sign_in_code, "4711", "471100").status_code == 302


def test_changing_a_pin_asks_the_current_one(client, db, world, login):
    person = shop_floor_person(db, world.a)
    person.email = "werker@example.com"
    person.password_hash = factories.hash_password(factories.PASSWORD)
    db.flush()
    login(person)
    profile = text(client.get("/profile", headers=EN))
    assert 'href="/pin/choose"' in profile and "Change PIN" in profile
    assert "Current PIN" in text(client.get("/pin/choose", headers=EN))
    answer = choose(client, "950274", current="000111")
    assert answer.status_code == 422 and "The PIN is not correct." in text(answer)
    answer = choose(client, "950274", current=PIN)
    assert answer.status_code == 302 and answer.location == "/profile"
    client.post("/logout")
    code = world.a.company.sign_in_code
    assert sign_in(client, code, "4711", PIN).status_code == 200
    assert sign_in(client, code, "4711", "950274").status_code == 302


def test_people_of_no_company_choose_no_pin(client, world, login):
    login(world.admin)
    assert client.get("/pin/choose").status_code == 404
    assert "/pin/choose" not in text(client.get("/profile", headers=EN))


@pytest.mark.parametrize("path", ["/pin/", "/pin/choose"])
def test_the_pin_pages_read_in_german_by_default(client, db, world, login, path):
    if path == "/pin/choose":
        person = shop_floor_person(db, world.a)
        person.email = "werker@example.com"
        person.password_hash = factories.hash_password(factories.PASSWORD)
        db.flush()
        login(person)
    page = text(client.get(path))
    assert '<html lang="de"' in page


def test_a_signed_in_person_is_sent_on_from_the_pin_page(client, world, login):
    login(world.a.employees[0])
    assert client.get("/pin/").location == "/"


def test_a_pin_sign_in_is_a_post_with_csrf(app, client, db, world):
    shop_floor_person(db, world.a)
    app.config["WTF_CSRF_ENABLED"] = True
    response = sign_in(client, world.a.company.sign_in_code, "4711", PIN)
    assert response.status_code != 302
    assert db.get(User, world.a.employees[0].id) is not None


def test_a_manager_never_signs_in_with_a_pin(client, db, world, login):
    manager = world.a.manager
    manager.personnel_number = "M-1"
    manager.pin_hash = factories.hash_password(PIN)
    db.flush()
    response = sign_in(client, world.a.company.sign_in_code, "M-1", PIN)
    assert response.status_code == 200 and WRONG_DETAILS in text(response)
    login(manager)
    assert client.get("/pin/choose").status_code == 404
    assert "/pin/choose" not in text(client.get("/profile", headers=EN))


def test_a_known_person_is_told_when_their_pin_is_locked(app, client, db, world, login):
    app.config.update(PIN_LIMIT_PER_ACCOUNT="100 per hour", PIN_LOCK_AFTER=2)
    person = shop_floor_person(db, world.a)
    person.email = "werker@example.com"
    person.password_hash = factories.hash_password(factories.PASSWORD)
    db.flush()
    login(person)
    assert "The PIN is not correct." in text(choose(client, "950274", current="000111"))
    answer = choose(client, "950274", current="000112")
    assert answer.status_code == 422 and "Your PIN is locked" in text(answer)
    assert "Your PIN is locked" in text(choose(client, "950274", current=PIN))


def test_the_profile_of_a_person_with_a_pin_offers_the_pin_not_a_password(client, db, world):
    person = shop_floor_person(db, world.a)
    sign_in(client, world.a.company.sign_in_code, "4711", PIN)
    page = text(client.get("/profile", headers=EN))
    assert "Change PIN" in page and "Change password" not in page
    assert person.personnel_number in page
