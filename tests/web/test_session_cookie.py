"""The session cookie: sent again only when it changed or has aged, checked every time."""

from __future__ import annotations

from datetime import timedelta

from lms import security
from lms.services import accounts


def session_cookies(response):
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("lms_session=")]


def test_a_page_view_does_not_send_the_session_cookie_again(client, world, login):
    login(world.a.employees[0])
    client.get("/learn/")  # the first page adds the CSRF token to the session
    response = client.get("/learn/")
    assert response.status_code == 200
    assert session_cookies(response) == []


def test_an_aged_cookie_is_signed_and_sent_again(client, world, login, monkeypatch):
    login(world.a.employees[0])
    monkeypatch.setattr(security, "SESSION_RESIGN_AFTER", timedelta(0))
    response = client.get("/learn/")
    assert response.status_code == 200
    (cookie,) = session_cookies(response)
    assert "HttpOnly" in cookie and "Expires=" in cookie


def test_a_changed_session_is_sent(client, world, login):
    login(world.a.employees[0])
    response = client.post("/language", data={"lang": "en", "next": "/learn/"})
    assert response.status_code == 302
    assert len(session_cookies(response)) == 1


def test_a_known_cookie_past_its_lifetime_is_refused(app, client, world, login, monkeypatch):
    login(world.a.employees[0])
    client.get("/learn/")  # adds the CSRF token: a new cookie
    assert client.get("/learn/").status_code == 200  # the cookie is now known
    # A lifetime over before the cookie was signed (signing times are whole seconds).
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(seconds=-1))
    assert client.get("/learn/").status_code == 302


def test_a_known_cookie_of_a_deactivated_user_is_refused(client, db, world, login):
    user = world.a.employees[0]
    login(user)
    client.get("/learn/")  # adds the CSRF token: a new cookie
    assert client.get("/learn/").status_code == 200  # the cookie is now known
    accounts.deactivate_user(db, user)
    assert client.get("/learn/").status_code == 302


def test_a_known_cookie_of_a_logged_out_session_is_refused(app, client, other_client, world, login):
    user = world.a.employees[0]
    login(user)
    client.get("/learn/")  # adds the CSRF token: a new cookie
    assert client.get("/learn/").status_code == 200  # the cookie is now known
    stolen = client.get_cookie("lms_session")
    assert stolen is not None
    client.post("/logout")
    other_client.set_cookie("lms_session", stolen.value)
    assert other_client.get("/learn/").status_code == 302


def test_a_tampered_cookie_is_refused(client, world, login):
    login(world.a.employees[0])
    cookie = client.get_cookie("lms_session")
    assert cookie is not None
    client.set_cookie(
        "lms_session", cookie.value[:-2] + ("AA" if cookie.value[-2:] != "AA" else "BB")
    )
    assert client.get("/learn/").status_code == 302


def test_the_page_language_follows_the_switch_without_a_new_cookie(client, world, login):
    login(world.a.employees[0])
    client.post("/language", data={"lang": "en", "next": "/learn/"})
    client.get("/learn/")
    response = client.get("/learn/")
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert session_cookies(response) == []
    client.post("/language", data={"lang": "de", "next": "/learn/"})
    assert '<html lang="de">' in client.get("/learn/").get_data(as_text=True)
