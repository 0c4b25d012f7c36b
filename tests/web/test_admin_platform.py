"""The platform page for admins, the test mail, and a health check that reveals nothing."""

from __future__ import annotations

EN = {"Accept-Language": "en"}


def test_the_platform_page_shows_version_database_schema_and_counts(client, app, world, login):
    login(world.admin)
    html = client.get("/admin/platform", headers=EN).get_data(as_text=True)
    assert "Lernwerk 0." in html
    assert ("SQLite" in html) or ("PostgreSQL" in html)
    assert "up to date" in html
    assert "never – is lms reminders in cron?" in html
    assert "12 active of 12" in html  # the whole platform: two companies, trainer, admin
    assert "Send a test mail to me" in html


def test_the_test_mail_goes_to_the_admin_at_once_past_the_outbox(app, client, world, login, mails):
    from lms.mail import delivered

    login(world.admin)
    response = client.post("/admin/platform/test-mail", follow_redirects=True, headers=EN)
    assert "A test mail is sent to" in response.get_data(as_text=True)
    assert [m.to for m in delivered(app)] == [world.admin.email]
    assert mails == []  # nothing waits: the point is to see at once whether mail works


def test_only_admins_see_the_platform_page(client, world, login):
    login(world.a.manager)
    assert client.get("/admin/platform").status_code == 403


def test_the_health_check_says_ok_and_nothing_more(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "sqlite" not in body.lower() and "postgres" not in body.lower()
    assert len(body) < 100


def test_the_platform_page_warns_when_no_mail_is_sent(app, client, world, login):
    app.config["MAIL_BACKEND"] = "none"
    login(world.admin)
    html = client.get("/admin/platform", headers=EN).get_data(as_text=True)
    assert "not sent: LMS_MAIL_BACKEND=none" in html and "status--danger" in html


def test_the_development_console_backend_prints_the_whole_mail(app, db, capsys):
    from lms.mail import send_mail

    app.config["MAIL_BACKEND"] = "console"
    with app.app_context():
        send_mail("neu@example.com", "Einladung", "https://x/invitation/abc")
    printed = capsys.readouterr().err
    assert "E-mail to neu@example.com" in printed and "https://x/invitation/abc" in printed
