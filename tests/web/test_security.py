"""The security baseline: headers, cookies, CSRF, size limit, error pages."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import PASSWORD, make_test_app


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # same-origin keeps the Referer that the HTTPS CSRF check needs, never leaks it elsewhere.
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_over_https(client):
    response = client.get("/login", base_url="https://lernwerk.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_script_or_style_in_pages(client, world, login):
    login(world.admin)
    for path in ("/login", "/admin/", "/profile"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "style=" not in page and "<style" not in page


def test_authenticated_pages_are_not_cached(client, world, login):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login(world.a.manager)
    assert client.get("/team/").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite_lax(client, world):
    response = client.post("/login", data={"email": world.a.manager.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lms_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(tmp_path):
    prod = make_production_app(tmp_path)
    assert prod.config["SESSION_COOKIE_SECURE"] and prod.config["REMEMBER_COOKIE_SECURE"]


def make_production_app(tmp_path, **overrides) -> Flask:
    from config import ProductionConfig
    from lms import create_app

    settings = {
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "MAIL_BACKEND": "smtp",
    }
    settings.update(overrides)
    return create_app(ProductionConfig, settings)


def test_missing_csrf_token_answers_400_with_a_friendly_page(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/login", data={"email": world.a.manager.email, "password": PASSWORD})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Das Formular ist abgelaufen" in page and "Traceback" not in page


def test_csrf_token_from_the_form_is_accepted(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"email": world.a.manager.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_oversized_body_answers_413(client):
    response = client.post("/login", data={"email": "x" * (17 * 1024 * 1024), "password": "y"})
    assert response.status_code == 413
    assert "zu groß" in response.get_data(as_text=True)


def test_unknown_page_answers_404_page_in_german(client):
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)


@pytest.fixture
def failing_app(tmp_path) -> Flask:
    """A separate app with one view that fails after writing to the database."""
    crash_app = make_test_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'crash.sqlite3'}")
    from lms import migrate
    from lms.db import db
    from lms.models import Company
    from lms.permissions import public

    migrate.upgrade(crash_app)

    @public
    def explode():
        db.session.add(Company(name="Halb GmbH", short_name="halb"))
        db.session.flush()
        raise RuntimeError("secret internal detail")

    crash_app.add_url_rule("/explode", "explode", explode)
    return crash_app


def test_unexpected_error_shows_no_trace_and_keeps_nothing(failing_app):
    from sqlalchemy import func, select

    from lms.db import db
    from lms.models import Company

    response = failing_app.test_client().get("/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "secret internal detail" not in page and "Traceback" not in page
    assert "Etwas ist schiefgegangen" in page
    with failing_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Company)) == 0
    failing_app.extensions["db"].engine.dispose()


def test_a_cross_site_post_without_the_cookie_does_not_sign_the_person_out(
    app, client, world, login
):
    """Issue 16: SameSite=Lax withholds the cookie from a form posted by another site;
    the CSRF error page must not set a new session cookie that replaces the real one."""
    login(world.a.employees[0])
    app.config["WTF_CSRF_ENABLED"] = True
    attacker = app.test_client()  # the same browser, its cookie withheld
    refused = attacker.post("/logout", data={}, headers={"Accept-Language": "en"})
    assert refused.status_code == 400
    assert "Set-Cookie" not in refused.headers
    assert client.get("/learn/").status_code == 200  # still signed in


def test_an_error_page_for_a_request_with_the_cookie_keeps_the_session(app, client, world, login):
    login(world.a.employees[0])
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/logout", data={}).status_code == 400
    assert client.get("/learn/").status_code == 200
