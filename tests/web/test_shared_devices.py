"""Shared devices and kiosk mode as people notice them: a manager sets up the tablet
in the break room; there, the start screen "Wer lernt jetzt?" greets whoever comes,
nobody is remembered, an idle session ends by itself, "Fertig" signs out, and nothing
of the previous person stays (no-store, Clear-Site-Data)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.models import AuditEntry, Company
from lms.models.shop_floor import SharedDevice
from lms.shared_devices.cookie import COOKIE_NAME
from tests.factories import PASSWORD, World
from tests.shared_device_helpers import enrolled_cookie
from tests.web.test_quiz import publish

__all__ = ["publish"]  # fixtures

EN = {"Accept-Language": "en"}
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CLEARS = '"cache", "storage"'


@pytest.fixture
def clock(app: Flask) -> Iterator[dict[str, datetime]]:
    moment = {"now": START}
    app.config["CLOCK"] = lambda: moment["now"]
    yield moment


def _on_device(app: Flask, db: Session, client: FlaskClient, company: Company) -> SharedDevice:
    with app.app_context():
        name, value = enrolled_cookie(db, company, "Tablet Pausenraum")
    client.set_cookie(name, value)
    device = db.scalars(select(SharedDevice).order_by(SharedDevice.id.desc())).first()
    assert device is not None
    return device


def _sign_in(client: FlaskClient, email: str, remember: bool = False) -> None:
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


# --- The devices page ---------------------------------------------------------------


def test_a_manager_sets_up_this_browser_and_sees_it_listed(
    client: FlaskClient, db: Session, world: World, login
) -> None:
    login(world.a.manager)
    page = client.get("/team/devices/", headers=EN).get_data(as_text=True)
    assert "Set up this device as a shared device" in page
    assert world.a.company.sign_in_code in page
    response = client.post("/team/devices/enrol", data={"name": "Tablet Halle 2"})
    assert response.status_code == 302
    cookie = response.headers.getlist("Set-Cookie")
    device_cookie = next(c for c in cookie if c.startswith(COOKIE_NAME + "="))
    assert "HttpOnly" in device_cookie and "SameSite=Lax" in device_cookie
    assert "Max-Age=63072000" in device_cookie
    page = client.get("/team/devices/", headers=EN).get_data(as_text=True)
    assert "This browser is the shared device “Tablet Halle 2”." in page
    assert "in use" in page and world.a.manager.display_name in page
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "device.enrol"))
    assert entry.company_id == world.a.company.id and entry.actor_id == world.a.manager.id


def test_a_name_is_needed(client: FlaskClient, world: World, login) -> None:
    login(world.a.manager)
    response = client.post("/team/devices/enrol", data={"name": "  "}, headers=EN)
    assert response.status_code == 422
    assert "Please enter a name" in response.get_data(as_text=True)
    assert COOKIE_NAME not in (response.headers.get("Set-Cookie") or "")


def test_the_team_page_links_the_devices_page_for_managers_of_the_whole_company(
    client: FlaskClient, world: World, login
) -> None:
    login(world.a.manager)
    assert "/team/devices/" in client.get("/team/").get_data(as_text=True)


def test_managers_of_some_departments_and_learners_may_not(
    client: FlaskClient, other_client: FlaskClient, world: World, login
) -> None:
    login(world.a.limited_manager)
    assert client.get("/team/devices/").status_code == 403
    assert client.post("/team/devices/enrol", data={"name": "X"}).status_code == 403
    login(world.a.employees[0], target=other_client)
    assert other_client.get("/team/devices/").status_code == 403


def test_another_companys_device_cannot_be_revoked(
    app: Flask, client: FlaskClient, db: Session, world: World, login
) -> None:
    with app.app_context():
        enrolled_cookie(db, world.b.company, "Fremdes Tablet")
    foreign = db.scalars(select(SharedDevice)).one()
    login(world.a.manager)
    assert client.post(f"/team/devices/{foreign.id}/revoke").status_code == 404
    assert "Fremdes Tablet" not in client.get("/team/devices/").get_data(as_text=True)
    db.refresh(foreign)
    assert foreign.revoked_at is None


def test_revoking_ends_kiosk_mode_there_and_clears_the_cookie(
    app: Flask, client: FlaskClient, other_client: FlaskClient, db: Session, world: World, login
) -> None:
    device = _on_device(app, db, client, world.a.company)
    assert client.get("/login").status_code == 302  # the start screen
    login(world.a.manager, target=other_client)
    response = other_client.post(f"/team/devices/{device.id}/revoke", headers=EN)
    assert response.status_code == 302
    assert "no longer a shared device" in other_client.get("/team/devices/", headers=EN).get_data(
        as_text=True
    )
    answer = client.get("/login")
    assert answer.status_code == 200  # the normal sign-in page again
    assert any(c.startswith(f"{COOKIE_NAME}=;") for c in answer.headers.getlist("Set-Cookie"))
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "device.revoke")).one()


def test_the_admin_sees_and_revokes_devices_on_the_company_page(
    app: Flask, client: FlaskClient, db: Session, world: World, login
) -> None:
    with app.app_context():
        enrolled_cookie(db, world.a.company, "Tablet Werkstatt")
    device = db.scalars(select(SharedDevice)).one()
    login(world.admin)
    company_page = f"/admin/companies/{world.a.company.id}"
    page = client.get(company_page, headers=EN).get_data(as_text=True)
    assert "Tablet Werkstatt" in page and "Shared devices and sign-in code" in page
    response = client.post(
        f"{company_page}/devices/{device.id}/revoke",
        data={"next": company_page + "#shared-devices"},
    )
    assert response.location.endswith(company_page + "#shared-devices")
    db.refresh(device)
    assert device.revoked_at is not None
    devices_page = client.get(f"{company_page}/devices/", headers=EN).get_data(as_text=True)
    assert "revoked on" in devices_page
    # Another company's device through this company's address: 404.
    other = f"/admin/companies/{world.b.company.id}/devices/{device.id}/revoke"
    assert client.post(other).status_code == 404


def test_a_new_sign_in_code_and_the_pin_setting(
    client: FlaskClient, db: Session, world: World, login
) -> None:
    company = world.a.company
    old = company.sign_in_code
    login(world.a.manager)
    client.post("/team/devices/sign-in-code")  # not confirmed: nothing changes
    db.refresh(company)
    assert company.sign_in_code == old
    client.post("/team/devices/sign-in-code", data={"confirm": "y"})
    db.refresh(company)
    assert company.sign_in_code and company.sign_in_code != old
    assert company.sign_in_code in client.get("/team/devices/").get_data(as_text=True)
    client.post("/team/devices/pin-setting", data={"pin_only_on_shared_devices": "y"})
    db.refresh(company)
    assert company.pin_only_on_shared_devices
    client.post("/team/devices/pin-setting", data={})
    db.refresh(company)
    assert not company.pin_only_on_shared_devices
    log = html.unescape(client.get("/team/audit", headers=EN).get_data(as_text=True))
    assert "Company's sign-in code renewed" in log
    assert "Company's PIN sign-in setting changed" in log


# --- The start screen ---------------------------------------------------------------


def test_anonymous_visitors_of_a_shared_device_get_the_start_screen(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    _on_device(app, db, client, world.a.company)
    response = client.get("/login")
    assert response.status_code == 302 and response.location == "/kiosk/"
    start = client.get("/kiosk/", headers=EN)
    page = start.get_data(as_text=True)
    assert "Who is learning now?" in page and "Tablet Pausenraum" in page
    assert "Log in with an e-mail address" in page
    assert start.headers["Cache-Control"] == "no-store"
    # The e-mail sign-in stays reachable, without "remember me".
    login_page = client.get("/login?email=1", headers=EN)
    assert login_page.status_code == 200
    assert 'name="remember"' not in login_page.get_data(as_text=True)
    assert login_page.headers["Cache-Control"] == "no-store"


def test_the_start_screen_elsewhere_explains_what_it_is(client: FlaskClient, world: World) -> None:
    page = client.get("/kiosk/", headers=EN)
    assert page.status_code == 200
    assert "This browser is not a shared device" in page.get_data(as_text=True)
    assert 'name="remember"' in client.get("/login").get_data(as_text=True)


def test_a_forged_cookie_is_ignored_and_cleared(client: FlaskClient, world: World) -> None:
    client.set_cookie(COOKIE_NAME, "eyJkIjoxLCJzIjoieCJ9.forged")
    response = client.get("/login")
    assert response.status_code == 200
    assert any(c.startswith(f"{COOKIE_NAME}=;") for c in response.headers.getlist("Set-Cookie"))


def test_a_device_of_another_company_is_no_kiosk_for_its_guests(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    _on_device(app, db, client, world.b.company)
    response = client.post(
        "/login", data={"email": world.a.employees[0].email, "password": PASSWORD,
                        "remember": "y"},
    )  # fmt: skip
    # Not this person's company: an ordinary session, "remember me" as asked.
    assert any(c.startswith("lms_remember=") for c in response.headers.getlist("Set-Cookie"))
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert "Log out" in page and 'id="kiosk-done"' not in page


# --- The kiosk session --------------------------------------------------------------


def test_a_kiosk_session_forgets_remember_me_and_offers_done(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    _on_device(app, db, client, world.a.company)
    response = client.post(
        "/login", data={"email": world.a.employees[0].email, "password": PASSWORD,
                        "remember": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    assert not any(c.startswith("lms_remember=") for c in response.headers.getlist("Set-Cookie"))
    page = client.get("/learn/", headers=EN)
    text = page.get_data(as_text=True)
    assert 'id="kiosk-done"' in text and ">Done<" in text and "kiosk.js" in text
    assert "Log out" not in text
    assert page.headers["Cache-Control"] == "no-store"


def test_done_signs_out_back_to_the_start_screen_and_clears_the_browser(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    _on_device(app, db, client, world.a.company)
    _sign_in(client, world.a.employees[0].email)
    response = client.post("/kiosk/done")
    assert response.status_code == 302 and response.location == "/kiosk/"
    assert response.headers["Clear-Site-Data"] == CLEARS
    assert response.headers["Cache-Control"] == "no-store"
    # The device cookie stays; the person is gone.
    assert not any(c.startswith(f"{COOKIE_NAME}=;") for c in response.headers.getlist("Set-Cookie"))
    assert client.get("/learn/").status_code == 302
    assert "Who is learning now?" in client.get("/kiosk/", headers=EN).get_data(as_text=True)


def test_every_sign_out_clears_the_browser(client: FlaskClient, world: World, login) -> None:
    login(world.a.employees[0])
    response = client.post("/logout")
    assert response.location == "/login"
    assert response.headers["Clear-Site-Data"] == CLEARS
    assert response.headers["Cache-Control"] == "no-store"


def test_sign_out_on_a_shared_device_leads_to_the_start_screen(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    _on_device(app, db, client, world.a.company)
    _sign_in(client, world.a.manager.email)
    response = client.post("/logout")
    assert response.location == "/kiosk/"
    assert response.headers["Clear-Site-Data"] == CLEARS


def test_the_server_signs_out_after_the_idle_time(
    app: Flask, client: FlaskClient, db: Session, world: World, clock
) -> None:
    app.config["KIOSK_IDLE_SECONDS"] = 180
    _on_device(app, db, client, world.a.company)
    _sign_in(client, world.a.employees[0].email)
    clock["now"] = START + timedelta(seconds=170)
    assert client.get("/learn/").status_code == 200  # input: the idle time starts again
    clock["now"] = START + timedelta(seconds=340)
    assert client.get("/learn/").status_code == 200
    # A script's background request is no input.
    clock["now"] = START + timedelta(seconds=500)
    assert client.get("/notices/", headers={"Sec-Fetch-Mode": "cors"}).status_code == 200
    clock["now"] = START + timedelta(seconds=521)
    response = client.get("/learn/", headers=EN)
    assert response.status_code == 302 and response.location == "/kiosk/"
    assert response.headers["Clear-Site-Data"] == CLEARS
    page = client.get("/kiosk/", headers=EN).get_data(as_text=True)
    assert "You were logged out after 3 minutes without input." in page
    assert client.get("/learn/").status_code == 302


def test_kiosk_js_reports_input_without_a_page(
    app: Flask, client: FlaskClient, db: Session, world: World, clock
) -> None:
    app.config["KIOSK_IDLE_SECONDS"] = 180
    _on_device(app, db, client, world.a.company)
    _sign_in(client, world.a.employees[0].email)
    clock["now"] = START + timedelta(seconds=150)
    assert client.post("/kiosk/active", headers={"Sec-Fetch-Mode": "cors"}).status_code == 204
    clock["now"] = START + timedelta(seconds=300)
    assert client.get("/learn/").status_code == 200


def test_the_countdown_knows_the_idle_time(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    app.config["KIOSK_IDLE_SECONDS"] = 180
    _on_device(app, db, client, world.a.company)
    _sign_in(client, world.a.employees[0].email)
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert 'data-idle="180"' in page and 'data-warn="60"' in page
    assert "Logging out in {s} s" in page and "Keep learning" in page


def test_a_revoked_device_ends_the_kiosk_session(
    app: Flask, client: FlaskClient, other_client: FlaskClient, db: Session, world: World, login
) -> None:
    device = _on_device(app, db, client, world.a.company)
    _sign_in(client, world.a.employees[0].email)
    login(world.a.manager, target=other_client)
    other_client.post(f"/team/devices/{device.id}/revoke")
    response = client.get("/learn/")
    assert response.status_code == 302 and response.location == "/login"
    assert client.get("/learn/").status_code == 302


def test_last_seen_is_recorded(
    app: Flask, client: FlaskClient, db: Session, world: World, clock
) -> None:
    device = _on_device(app, db, client, world.a.company)
    client.get("/kiosk/")
    db.refresh(device)
    assert device.last_seen_at is not None
    assert device.last_seen_at.replace(tzinfo=UTC) == START
    clock["now"] = START + timedelta(minutes=2)
    client.get("/kiosk/")
    db.refresh(device)
    assert device.last_seen_at.replace(tzinfo=UTC) == START  # not on every request


def test_a_quiz_page_sent_after_the_idle_sign_out_is_kept_for_the_next_sign_in(
    app: Flask, client: FlaskClient, db: Session, world: World, login, publish, clock
) -> None:
    from lms.models import QuizAttempt
    from tests.web.test_quiz import CHECK
    from tests.web.test_quiz_windows import shown

    app.config["KIOSK_IDLE_SECONDS"] = 180
    _on_device(app, db, client, world.a.company)
    login(world.a.employees[0])
    client.post("/learn/courses/testkurs/enroll")
    url = client.post(f"{CHECK}/attempts").location
    _page, fields = shown(client, url)
    clock["now"] = START + timedelta(minutes=10)  # the person walked away

    sent = client.post(url, data={**fields, "action": "next", "q-laenge": "1"}, headers=EN)

    assert sent.status_code == 302 and sent.location.startswith("/login?next=")
    attempt = db.scalar(select(QuizAttempt))
    assert attempt is not None
    db.refresh(attempt)
    assert attempt.responses == {} and attempt.kept_pages and "1" in attempt.kept_pages
    assert client.get("/learn/").status_code == 302  # signed out
