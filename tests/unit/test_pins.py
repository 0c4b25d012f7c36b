"""PINs: which are acceptable, setting and resetting one, finding the person a PIN
sign-in names (lms/pins/service.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.models import AuditEntry, Role
from lms.pins import service
from lms.services.passwords import verify_password
from tests import factories

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app, db):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def shop_floor_person(db, company, number="4711", **kwargs):
    person = factories.make_user(db, company, Role.LEARNER, personnel_number=number, **kwargs)
    person.email = None
    db.flush()
    return person


@pytest.mark.parametrize(
    ("pin", "reason"),
    [
        ("12345", "at least 6 digits"),
        ("48a913", "digits only"),
        ("４８２９１３", "digits only"),  # full-width digits
        ("4829 13", "digits only"),
        ("1234567890123", "at most 12 digits"),
        ("777777", "too easy"),
        ("123456", "too easy"),
        ("654321", "too easy"),
        ("890123", "too easy"),
        ("121212", "too easy"),
        ("123123", "too easy"),
        ("112233", "most common"),
        ("147258", "most common"),
    ],
)
def test_trivial_pins_are_refused_with_a_reason(ctx, pin, reason):
    problems = service.pin_problems(pin)
    assert len(problems) == 1 and reason in problems[0]


def test_a_pin_that_is_the_personnel_number_is_refused(ctx, db):
    company = factories.make_company(db)
    person = shop_floor_person(db, company, number="P-004711")
    assert service.pin_problems("004711", person) == ["Your PIN must not be your personnel number."]
    assert service.pin_problems("482913", person) == []


def test_reasonable_pins_are_accepted(ctx):
    for pin in ("482913", "0719352", "950274618"):
        assert service.pin_problems(pin) == []


def test_setting_a_pin_hashes_it_and_lifts_a_lock(ctx, db):
    company = factories.make_company(db)
    person = shop_floor_person(db, company)
    person.pin_locked_at = NOW
    service.set_pin(db, Actor(person), person, "482913", NOW)
    assert person.pin_hash and "482913" not in person.pin_hash
    assert verify_password(person.pin_hash, "482913")
    assert person.pin_set_at == NOW and person.pin_locked_at is None
    # The person's own choice is not audited.
    assert db.scalars(select(AuditEntry.action)).all() == []


def test_a_pin_set_by_someone_else_is_audited(ctx, db):
    company = factories.make_company(db)
    manager = factories.make_user(db, company, Role.MANAGER)
    person = shop_floor_person(db, company)
    service.set_pin(db, Actor(manager, "198.51.100.0/24"), person, "482913", NOW)
    entry = db.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor_id, entry.subject_id) == ("pin.set", manager.id, person.id)


def test_setting_a_trivial_pin_raises_and_keeps_the_old_one(ctx, db):
    company = factories.make_company(db)
    person = shop_floor_person(db, company)
    person.pin_hash = "old"
    with pytest.raises(service.PinRejected) as caught:
        service.set_pin(db, Actor(person), person, "111111", NOW)
    assert caught.value.problems
    assert person.pin_hash == "old"


def test_a_reset_removes_pin_and_lock_and_is_audited(ctx, db):
    company = factories.make_company(db)
    manager = factories.make_user(db, company, Role.MANAGER)
    person = shop_floor_person(db, company)
    service.set_pin(db, Actor(person), person, "482913", NOW)
    person.pin_locked_at = NOW
    session_version = person.session_version
    service.reset_pin(db, Actor(manager), person, NOW)
    assert (person.pin_hash, person.pin_set_at, person.pin_locked_at) == (None, None, None)
    assert person.session_version == session_version  # only the PIN changes
    entry = db.scalars(select(AuditEntry)).one()
    assert entry.action == "pin.reset"
    assert entry.company_id == company.id
    assert entry.changes == {"pin": [True, False], "pin_locked": [True, False]}


def test_find_person_ignores_case_and_spaces(ctx, db):
    company = factories.make_company(db)
    person = shop_floor_person(db, company, number="Lager-12")
    code = company.sign_in_code
    assert code and code == code.upper() and len(code) == 6
    assert service.find_person(db, f"  {code.lower()} ", " lager-12 ") is person
    assert service.find_person(db, code, "LAGER-12") is person
    assert service.find_person(db, code, "Lager-13") is None
    assert service.find_person(db, "", "Lager-12") is None
    assert service.find_person(db, code, "  ") is None


def test_find_person_stays_within_the_company_of_the_code(ctx, db):
    first, second = factories.make_company(db), factories.make_company(db)
    shop_floor_person(db, first, number="100")
    other = shop_floor_person(db, second, number="100")
    assert service.find_person(db, second.sign_in_code or "", "100") is other


def test_find_person_only_finds_people_who_may_sign_in(ctx, db):
    company = factories.make_company(db)
    person = shop_floor_person(db, company, number="200")
    code = company.sign_in_code or ""
    person.is_active = False
    assert service.find_person(db, code, "200") is None
    person.is_active = True
    company.is_active = False
    db.flush()
    assert service.find_person(db, code, "200") is None


def test_an_ambiguous_number_finds_nobody(ctx, db):
    company = factories.make_company(db)
    shop_floor_person(db, company, number="abc7")
    shop_floor_person(db, company, number="ABC7")  # differs only in case
    assert service.find_person(db, company.sign_in_code or "", "abc7") is None


def test_only_employees_without_a_staff_role_may_use_a_pin(ctx, db):
    company = factories.make_company(db)
    assert service.may_use_pin(shop_floor_person(db, company))
    assert not service.may_use_pin(factories.make_user(db, company, Role.LEARNER, Role.MANAGER))
    assert not service.may_use_pin(factories.make_user(db, None, Role.ADMIN))
