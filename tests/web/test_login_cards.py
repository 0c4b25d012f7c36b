"""Login cards in the browser: printing them (PDF) and blocking them in the manager's
and the admin's area, and signing in by scanning (/k/<secret>) or typing (/card)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.login_cards import service
from lms.models import AuditEntry, User
from lms.models.shop_floor import LoginCard, LoginCardUse
from tests.factories import hash_password, make_user
from tests.shared_device_helpers import enrolled_cookie

EN = {"Accept-Language": "en"}
BLOCKED = "This card is blocked. Please contact your manager."


@pytest.fixture
def allowed(db, world):
    world.a.company.managers_manage_people = True
    db.flush()
    return world


def issue(db, person, kind="card", at=None):
    (issued,) = service.issue_cards(db, Actor.command(), [person], kind, at or datetime.now(UTC))
    db.flush()
    return issued


def give_pin(db, person, pin):
    person.pin_hash = hash_password(pin)
    person.pin_set_at = datetime.now(UTC)
    db.flush()


def pdf_text(data: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return done.stdout.decode()


def page_count(data: bytes) -> int:
    return data.count(b"/Type /Page\n") + data.count(b"/Type /Page>") + data.count(b"/Type /Page ")


def signed_in_as(client) -> int | None:
    with client.session_transaction() as session:
        user_id = session.get("_user_id")
    return int(str(user_id).split(":")[0]) if user_id else None


def must_choose_pin(client) -> bool:
    with client.session_transaction() as session:
        return bool(session.get("must_choose_pin"))


# --- Printing and blocking ------------------------------------------------------


def test_the_cards_page_exists_only_where_managers_manage_people(client, db, world, login):
    login(world.a.manager)
    assert client.get("/team/login-cards").status_code == 404
    world.a.company.managers_manage_people = True
    db.flush()
    page = client.get("/team/login-cards", headers=EN).get_data(as_text=True)
    assert "<h1>Login cards" in page
    for employee in world.a.employees:
        assert employee.display_name in page
    assert world.b.employees[0].display_name not in page


def test_the_page_chooses_everyone_without_an_address(client, db, allowed, login):
    without = allowed.a.employees[0]
    without.email = None
    without.personnel_number = "4711"
    db.flush()
    login(allowed.a.manager)
    page = client.get("/team/login-cards?without_email=1&select=all", headers=EN)
    text = page.get_data(as_text=True)
    assert f'value="{without.id}" id="person-{without.id}" checked' in text
    assert allowed.a.employees[1].display_name not in text
    assert "1 person" in text


def test_a_manager_prints_a_sheet_of_cards(client, db, allowed, login):
    people = allowed.a.employees
    login(allowed.a.manager)
    form = {"people": [p.id for p in people], "kind": "card"}
    response = client.post("/team/login-cards/print", data=form)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="login-cards-')
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_data()
    assert data.startswith(b"%PDF")
    assert page_count(data) == 1  # three cards on one sheet
    text = pdf_text(data)
    for person in people:
        assert person.display_name in text
    assert allowed.a.company.sign_in_code in text
    cards = db.scalars(select(LoginCard).where(LoginCard.company_id == allowed.a.company.id)).all()
    assert {c.user_id for c in cards} == {p.id for p in people}
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "card.print"))
    assert entry is not None and entry.actor_id == allowed.a.manager.id


def test_nine_cards_take_two_pages(client, db, allowed, login):
    company = allowed.a.company
    people = [make_user(db, company, name=f"Schicht {n}") for n in range(9)]
    login(allowed.a.manager)
    data = client.post(
        "/team/login-cards/print", data={"people": [p.id for p in people], "kind": "card"}
    ).get_data()
    assert page_count(data) == 2


def test_letters_are_one_page_each_in_the_persons_language(client, db, allowed, login):
    german, english = allowed.a.employees[:2]
    english.language = "en"
    db.flush()
    login(allowed.a.manager)
    response = client.post(
        "/team/login-cards/print", data={"people": [german.id, english.id], "kind": "letter"}
    )
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="invitation-letters-'
    )
    data = response.get_data()
    assert page_count(data) == 2
    text = pdf_text(data)
    assert german.display_name in text and english.display_name in text
    assert "Your invitation to Lernwerk" in text  # the English person's page
    assert "/card" in text  # where to type the code
    letters = db.scalars(select(LoginCard).where(LoginCard.kind == "letter")).all()
    assert len(letters) == 2 and all(letter.expires_at is not None for letter in letters)


def test_nobody_chosen_prints_nothing(client, db, allowed, login):
    login(allowed.a.manager)
    response = client.post("/team/login-cards/print", data={"kind": "card"})
    assert response.status_code == 302
    assert db.scalar(select(LoginCard)) is None


def test_another_companys_person_is_out_of_reach(client, db, allowed, login):
    stranger = allowed.b.employees[0]
    card = issue(db, stranger)
    login(allowed.a.manager)
    form = {"people": [allowed.a.employees[0].id, stranger.id], "kind": "card"}
    assert client.post("/team/login-cards/print", data=form).status_code == 404
    revoke = client.post(f"/team/login-cards/{card.card.id}/revoke", data={"reason": "lost"})
    assert revoke.status_code == 404
    db.refresh(card.card)
    assert card.card.revoked_at is None
    assert db.scalar(select(LoginCard).where(LoginCard.user_id != stranger.id)) is None


def test_a_limited_manager_prints_for_their_departments_only(client, db, allowed, login):
    limited = allowed.a.limited_manager  # of "Lager"
    in_office = allowed.a.employees[2]
    login(limited)
    page = client.get("/team/login-cards").get_data(as_text=True)
    assert allowed.a.employees[0].display_name in page
    assert in_office.display_name not in page
    form = {"people": [in_office.id], "kind": "card"}
    assert client.post("/team/login-cards/print", data=form).status_code == 404


def test_an_admin_prints_for_any_company(client, db, world, login):
    person = world.b.employees[0]
    login(world.admin)
    base = f"/admin/companies/{world.b.company.id}/login-cards"
    assert person.display_name in client.get(base).get_data(as_text=True)
    response = client.post(f"{base}/print", data={"people": [person.id], "kind": "letter"})
    assert response.headers["Content-Type"] == "application/pdf"
    other = f"/admin/companies/{world.a.company.id}/login-cards/print"
    assert client.post(other, data={"people": [person.id], "kind": "card"}).status_code == 404


def test_the_person_page_shows_the_card_and_blocks_it(client, db, allowed, login):
    person = allowed.a.employees[0]
    issued = issue(db, person)
    service.log_use(db, issued.card, "signed_in", datetime.now(UTC), network="198.51.100.0/24")
    db.flush()
    login(allowed.a.manager)
    for url in (f"/team/people/{person.id}/edit", f"/team/people/{person.id}"):
        page = client.get(url, headers=EN).get_data(as_text=True)
        assert "Block the card" in page, url
        assert f'action="/team/login-cards/{issued.card.id}/revoke"' in page
        assert "198.51.100.0/24" in page and "signed in" in page
    response = client.post(
        f"/team/login-cards/{issued.card.id}/revoke",
        data={"reason": "left", "back": f"/team/people/{person.id}/edit"},
        headers=EN,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/team/people/{person.id}/edit"
    db.refresh(issued.card)
    assert issued.card.revoked_reason == "left"
    assert issued.card.revoked_by_id == allowed.a.manager.id
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "card.revoke"))
    assert entry is not None and entry.subject_id == person.id
    page = client.get(f"/team/people/{person.id}/edit", headers=EN).get_data(as_text=True)
    assert "has no working login card" in page


def test_every_manager_blocks_a_lost_card_but_prints_only_where_they_manage_people(
    client, db, world, login
):
    """A lost card is blocked by the person's own manager at once, even where the company
    keeps its people to its admins; printing cards stays with those who manage people."""
    person = world.a.employees[0]
    issued = issue(db, person)
    login(world.a.manager)
    page = client.get(f"/team/people/{person.id}", headers=EN).get_data(as_text=True)
    assert "Block the card" in page and "Print a new card" not in page
    assert client.get("/team/login-cards", headers=EN).status_code == 404
    response = client.post(f"/team/login-cards/{issued.card.id}/revoke",
                           data={"reason": "lost"}, headers=EN)  # fmt: skip
    assert response.status_code == 302
    db.refresh(issued.card)
    assert issued.card.revoked_reason == "lost"


def test_a_manager_blocks_no_card_out_of_reach(client, db, world, login):
    elsewhere = issue(db, world.b.employees[0])
    other_department = next(
        p for p in world.a.employees if p.department_id not in
        {d.id for d in world.a.limited_manager.managed_departments}
    )  # fmt: skip
    in_company = issue(db, other_department)
    login(world.a.limited_manager)
    for card in (elsewhere.card, in_company.card):
        response = client.post(f"/team/login-cards/{card.id}/revoke", data={"reason": "lost"})
        assert response.status_code == 404
        db.refresh(card)
        assert card.revoked_at is None


def test_an_admin_blocks_a_card_from_the_people_page(client, db, world, login):
    person = world.a.employees[1]
    issued = issue(db, person)
    login(world.admin)
    base = f"/admin/companies/{world.a.company.id}"
    page = client.get(f"{base}/people/{person.id}/edit", headers=EN).get_data(as_text=True)
    assert f'action="{base}/login-cards/{issued.card.id}/revoke"' in page
    assert f'action="{base}/login-cards/print"' in page
    client.post(f"{base}/login-cards/{issued.card.id}/revoke", data={"reason": "lost"})
    db.refresh(issued.card)
    assert issued.card.revoked_reason == "lost"


# --- Signing in -------------------------------------------------------------------


def test_scanning_asks_to_confirm_then_signs_in_to_choose_a_pin(client, db, world):
    person = world.a.employees[0]
    issued = issue(db, person)
    scanned = client.get(f"/k/{issued.secret}")
    assert scanned.status_code == 302 and scanned.headers["Location"] == "/k"
    confirm = client.get("/k", headers=EN)
    page = confirm.get_data(as_text=True)
    assert f"Sign in as {person.display_name}" in page
    assert issued.secret not in page  # the secret left the address and the page
    with client.session_transaction() as session:
        assert issued.secret not in str(dict(session))  # and is not kept in the cookie
    assert signed_in_as(client) is None  # a bare GET signs nobody in
    response = client.post("/k")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in_as(client) == person.id
    assert must_choose_pin(client)
    assert client.get("/").headers["Location"].startswith("/pin/choose")
    use = db.scalar(select(LoginCardUse).where(LoginCardUse.card_id == issued.card.id))
    assert use is not None and use.outcome == "signed_in"
    db.refresh(issued.card)
    assert issued.card.last_used_at is not None


def test_the_scanner_posts_the_cards_address_directly(client, db, world):
    person = world.a.employees[0]
    issued = issue(db, person)
    response = client.post(f"/k/{issued.secret}")
    assert response.status_code == 302
    assert signed_in_as(client) == person.id


def test_an_unknown_secret_signs_nobody_in(client, db, world):
    assert client.post("/k/" + "x" * 43).status_code == 404
    assert client.get("/k/" + "y" * 43).status_code == 404
    assert client.get("/k").headers["Location"] == "/card"
    assert signed_in_as(client) is None


def test_a_person_with_a_pin_enters_it_on_a_personal_device(client, db, world):
    person = world.a.employees[0]
    person.personnel_number = "1001"
    give_pin(db, person, "482916")
    issued = issue(db, person)
    response = client.post(f"/k/{issued.secret}")
    assert response.status_code == 302 and response.headers["Location"] == "/card/pin"
    assert signed_in_as(client) is None
    page = client.get("/card/pin", headers=EN).get_data(as_text=True)
    assert person.display_name in page and 'inputmode="numeric"' in page
    wrong = client.post("/card/pin", data={"pin": "111111"}, headers=EN)
    assert wrong.status_code == 422 and signed_in_as(client) is None
    right = client.post("/card/pin", data={"pin": "482916"})
    assert right.status_code == 302 and right.headers["Location"] == "/"
    assert signed_in_as(client) == person.id
    assert not must_choose_pin(client)
    outcomes = db.scalars(
        select(LoginCardUse.outcome).where(LoginCardUse.card_id == issued.card.id)
    ).all()
    assert sorted(outcomes) == ["pin_asked", "signed_in"]


def test_on_a_shared_device_of_the_company_a_card_signs_in_at_once(client, db, world, app):
    person = world.a.employees[0]
    person.personnel_number = "1002"
    give_pin(db, person, "583027")
    issued = issue(db, person)
    with app.test_request_context():
        name, value = enrolled_cookie(db, world.a.company)
    db.flush()
    client.set_cookie(name, value)
    response = client.post(f"/k/{issued.secret}")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in_as(client) == person.id and not must_choose_pin(client)
    use = db.scalar(select(LoginCardUse).where(LoginCardUse.card_id == issued.card.id))
    assert use is not None and use.shared_device_id is not None


def test_another_companys_shared_device_is_a_personal_one(client, db, world, app):
    person = world.a.employees[0]
    person.personnel_number = "1003"
    give_pin(db, person, "694138")
    issued = issue(db, person)
    with app.test_request_context():
        name, value = enrolled_cookie(db, world.b.company)
    db.flush()
    client.set_cookie(name, value)
    assert client.post(f"/k/{issued.secret}").headers["Location"] == "/card/pin"


def test_a_revoked_card_is_refused_and_the_attempt_logged(client, db, world):
    person = world.a.employees[0]
    issued = issue(db, person)
    service.revoke(db, Actor.command(), issued.card, "lost", datetime.now(UTC))
    db.flush()
    response = client.post(f"/k/{issued.secret}", headers=EN)
    assert response.status_code == 403
    assert BLOCKED in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    use = db.scalar(select(LoginCardUse).where(LoginCardUse.card_id == issued.card.id))
    assert use is not None and use.outcome == "revoked"
    # Scanned with a phone's camera app: refused at once, no button to press.
    client.get(f"/k/{issued.secret}")
    assert BLOCKED in client.get("/k", headers=EN).get_data(as_text=True)


def test_a_reprinted_card_is_refused(client, db, world):
    person = world.a.employees[0]
    old = issue(db, person)
    issue(db, person)
    assert client.post(f"/k/{old.secret}").status_code == 403


def test_a_deactivated_persons_card_is_refused(client, db, world):
    person = world.a.employees[0]
    issued = issue(db, person)
    person.is_active = False
    db.flush()
    response = client.post(f"/k/{issued.secret}", headers=EN)
    assert response.status_code == 403 and BLOCKED in response.get_data(as_text=True)
    use = db.scalar(select(LoginCardUse).where(LoginCardUse.card_id == issued.card.id))
    assert use is not None and use.outcome == "inactive"


def test_an_erased_persons_cards_are_gone(db, world):
    from lms.services import erasure

    person = world.a.employees[0]
    issued = issue(db, person)
    erasure.erase_person(db, person, datetime.now(UTC))
    db.flush()
    assert db.scalar(select(LoginCard).where(LoginCard.id == issued.card.id)) is None
    assert service.find_by_secret(db, issued.secret) is None


def test_a_letter_signs_in_once_to_choose_a_pin(client, other_client, db, world):
    person = world.a.employees[0]
    person.personnel_number = "1004"
    give_pin(db, person, "705249")
    issued = issue(db, person, "letter")
    response = client.post(f"/k/{issued.secret}")
    assert response.status_code == 302 and signed_in_as(client) == person.id
    assert must_choose_pin(client)  # a letter is for choosing a (new) PIN
    again = other_client.post(f"/k/{issued.secret}", headers=EN)
    assert again.status_code == 403
    assert "has been used already" in again.get_data(as_text=True)
    db.refresh(issued.card)
    assert issued.card.revoked_reason == "used"


def test_an_expired_letter_is_refused(client, db, world):
    person = world.a.employees[0]
    issued = issue(db, person, "letter", at=datetime.now(UTC) - timedelta(days=31))
    response = client.post(f"/k/{issued.secret}", headers=EN)
    assert response.status_code == 403
    assert "has expired" in response.get_data(as_text=True)
    use = db.scalar(select(LoginCardUse).where(LoginCardUse.card_id == issued.card.id))
    assert use is not None and use.outcome == "expired"


def test_a_company_may_allow_cards_on_shared_devices_only(client, db, world):
    person = world.a.employees[0]
    world.a.company.pin_only_on_shared_devices = True
    issued = issue(db, person)
    response = client.post(f"/k/{issued.secret}", headers=EN)
    assert response.status_code == 403
    assert "only on its shared devices" in response.get_data(as_text=True)


def test_the_short_code_is_typed_in_any_case_with_spaces(client, db, world):
    person = world.a.employees[0]
    issued = issue(db, person)
    typed = issued.code.lower().replace("-", " ")
    response = client.post("/card", data={"code": f"  {typed} "})
    assert response.status_code == 302
    assert signed_in_as(client) == person.id


def test_a_wrong_code_says_so_and_the_network_is_throttled(client, db, world, app):
    app.config["CARD_CODE_LIMIT_PER_NETWORK"] = "2 per 15 minutes"
    person = world.a.employees[0]
    issued = issue(db, person)
    for _ in range(2):
        wrong = client.post("/card", data={"code": "AAAA-BBBB-CCCC"}, headers=EN)
        assert wrong.status_code == 422
        assert "This code is not known" in wrong.get_data(as_text=True)
    refused = client.post("/card", data={"code": issued.code}, headers=EN)
    assert refused.status_code == 429
    assert "Too many wrong codes" in refused.get_data(as_text=True)
    assert signed_in_as(client) is None


def test_a_right_code_does_not_use_up_the_budget(client, other_client, db, world, app):
    app.config["CARD_CODE_LIMIT_PER_NETWORK"] = "1 per 15 minutes"
    first, second = world.a.employees[:2]
    codes = [issue(db, first).code, issue(db, second).code]
    assert client.post("/card", data={"code": codes[0]}).status_code == 302
    assert other_client.post("/card", data={"code": codes[1]}).status_code == 302


def test_only_the_scanner_pages_may_use_the_camera(client, db, world):
    page = client.get("/card", headers=EN)
    assert "camera=(self)" in page.headers["Permissions-Policy"]
    text = page.get_data(as_text=True)
    assert "data-card-scan-start hidden" in text  # shown by the script only
    assert 'name="code"' in text
    assert "vendor/jsqr-1.4.0/jsQR.js" in text and "js/card-scan.js" in text
    assert "camera=()" in client.get("/login").headers["Permissions-Policy"]


def test_the_login_page_links_the_card_sign_in(client, db):
    assert 'href="/card"' in client.get("/login").get_data(as_text=True)


def test_a_card_cannot_be_confirmed_after_ten_minutes(client, db, world):
    person = world.a.employees[0]
    issued = issue(db, person)
    client.get(f"/k/{issued.secret}")
    with client.session_transaction() as session:
        session["card_scanned"]["at"] -= 11 * 60
        session.modified = True
    response = client.post("/k")
    assert response.status_code == 302 and response.headers["Location"] == "/card"
    assert signed_in_as(client) is None


def test_the_card_holder_is_a_user_of_the_cards_company(db, world):
    person = world.a.employees[0]
    issued = issue(db, person)
    assert db.get(User, issued.card.user_id).company_id == issued.card.company_id


def test_a_shared_devices_start_screen_offers_the_scanner_with_the_camera(client, db, world, app):
    with app.test_request_context():
        name, value = enrolled_cookie(db, world.a.company)
    db.flush()
    client.set_cookie(name, value)
    page = client.get("/kiosk/", headers=EN)
    assert page.status_code == 200
    assert "data-card-scan-start" in page.get_data(as_text=True)
    assert "camera=(self)" in page.headers["Permissions-Policy"]


def test_the_audit_log_names_prints_and_blocks(client, db, allowed, login):
    person = allowed.a.employees[0]
    login(allowed.a.manager)
    client.post("/team/login-cards/print", data={"people": [person.id], "kind": "card"})
    card = db.scalar(select(LoginCard).where(LoginCard.user_id == person.id))
    client.post(f"/team/login-cards/{card.id}/revoke", data={"reason": "left"})
    page = client.get("/team/audit", headers=EN).get_data(as_text=True)
    assert "Login cards or invitation letters printed" in page
    assert "Login card or invitation letter blocked" in page
    assert "left the company" in page and "login card" in page


def test_a_managers_card_signs_nobody_in(client, db, world):
    """A card alone must not open an account that sees other people's data."""
    manager = world.a.manager
    issued = issue(db, manager)
    response = client.post(f"/k/{issued.secret}", headers=EN)
    assert response.status_code == 403 and signed_in_as(client) is None
    use = db.scalar(select(LoginCardUse).where(LoginCardUse.card_id == issued.card.id))
    assert use is not None and use.outcome == "inactive"


def test_the_cards_page_offers_employees_only(client, db, allowed, login):
    login(allowed.a.manager)
    page = client.get("/team/login-cards", headers=EN).get_data(as_text=True)
    assert allowed.a.employees[0].display_name in page
    assert allowed.a.limited_manager.display_name not in page
