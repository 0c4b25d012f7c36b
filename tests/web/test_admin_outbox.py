"""The outbox in the browser: a bulk import queues its invitations whatever the mail server
does; mails given up wait on the platform page and can be sent again; in development a
page shows the newest mails whole."""

from __future__ import annotations

import io
import re
import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.mail import delivered, queue_mail
from lms.models import AuditEntry, OutboxMessage, User

EN = {"Accept-Language": "en"}
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def smtp_down(app) -> None:
    app.config.update(
        MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), MAIL_USE_TLS=False
    )


def import_people(client, company, lines: list[str]):
    data = "E-Mail;Vorname;Nachname;Abteilung;Rollen\r\n" + "\r\n".join(lines)
    checked = client.post(
        f"/admin/companies/{company.id}/import",
        data={"file": (io.BytesIO(data.encode("utf-8")), "leute.csv")},
        content_type="multipart/form-data",
        headers=EN,
    )
    assert checked.status_code == 200, checked.get_data(as_text=True)[:2000]
    token = re.search(r'name="token" value="([^"]+)"', checked.get_data(as_text=True)).group(1)
    return client.post(f"/admin/companies/{company.id}/import/apply", data={"token": token})


def given_up(db, to: str, reason: str = "550 5.1.1 mailbox unavailable") -> OutboxMessage:
    message = queue_mail(db, to, "Ihre Einladung zu Lernwerk", "https://x/invitation/t", now=NOW)
    message.attempts, message.failed_at, message.last_error = 6, NOW, reason
    db.flush()
    return message


def test_a_bulk_import_of_200_people_invites_them_all_with_the_mail_server_down(
    app, client, db, world, login, mails
):
    smtp_down(app)
    company = world.a.company
    login(world.admin)
    lines = [f"neu{i:03d}@example.com;Neu;Person {i:03d};Lager;Mitarbeitende" for i in range(200)]
    done = import_people(client, company, lines)
    assert done.status_code == 302  # the request never waited for the mail server
    assert len(mails) == 200
    assert {m.to for m in mails} == {f"neu{i:03d}@example.com" for i in range(200)}
    newcomers = db.scalars(select(User).where(User.email.like("neu%@example.com"))).all()
    assert len(newcomers) == 200

    app.config["CLOCK"] = lambda: NOW + timedelta(hours=1)
    sent = app.test_cli_runner().invoke(args=["mail", "send"])
    assert sent.exit_code == 1 and "Sent 0 e-mails, 100 failed." in sent.output
    waiting = db.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.attempts == 1)
    )
    assert waiting == 100  # the batch stopped at the dead connection; the rest still waits

    app.config["MAIL_BACKEND"] = "memory"
    app.config["CLOCK"] = lambda: NOW + timedelta(hours=2)
    sent = app.test_cli_runner().invoke(args=["mail", "send"])
    assert sent.exit_code == 0 and "Sent 200 e-mails, 0 failed." in sent.output
    assert len(delivered(app)) == 200


def test_mails_given_up_are_listed_on_the_platform_page_and_sent_again(
    app, client, db, world, login
):
    message = given_up(db, "weg@example.com")
    queue_mail(db, "wartet@example.com", "Erinnerung", "Text", now=NOW)
    db.flush()
    login(world.admin)
    html = client.get("/admin/platform", headers=EN).get_data(as_text=True)
    assert "Mails waiting to be sent" in html
    assert "1 mail given up" in html
    given_up_section = html.split('id="mails-given-up"')[1]
    for shown in ("weg@example.com", "Ihre Einladung zu Lernwerk", "550 5.1.1 mailbox unavailable"):
        assert shown in given_up_section
    assert "wartet@example.com" not in html  # waiting mails are counted, not listed
    assert f"/admin/platform/mails/{message.id}/send-again" in html

    response = client.post(f"/admin/platform/mails/{message.id}/send-again", headers=EN)
    assert response.status_code == 302
    db.refresh(message)
    assert message.failed_at is None and message.attempts == 0
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "mail.send_again"))
    assert entry.subject_id == message.id and entry.actor_id == world.admin.id
    page = client.get("/admin/platform", headers=EN).get_data(as_text=True)
    assert "is sent again shortly" in page and "No mail has been given up." in page
    # Only a mail given up can be sent again.
    assert client.post(f"/admin/platform/mails/{message.id}/send-again").status_code == 404


def test_send_again_is_a_post_with_csrf_for_admins_only(app, client, db, world, login):
    message = given_up(db, "weg@example.com")
    login(world.a.manager)
    assert client.post(f"/admin/platform/mails/{message.id}/send-again").status_code == 403
    assert client.get("/admin/outbox").status_code == 403
    client.post("/logout")
    login(world.admin)
    assert client.get(f"/admin/platform/mails/{message.id}/send-again").status_code == 405
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/admin/platform/mails/{message.id}/send-again").status_code == 400
    db.refresh(message)
    assert message.failed_at is not None


def test_in_development_the_outbox_page_shows_an_invitations_link(app, client, db, world, login):
    app.config["ENV_NAME"] = "development"
    login(world.admin)
    added = client.post(
        "/admin/staff", data={"display_name": "Neue Trainerin", "email": "neu@example.com",
                              "trainer": "y"},
    )  # fmt: skip
    assert added.status_code == 302
    assert "/admin/outbox" in client.get("/admin/platform").get_data(as_text=True)
    html = client.get("/admin/outbox", headers=EN).get_data(as_text=True)
    link = re.search(r'href="(http[^"]+/invitation/[^"]+)"', html)
    assert link and "neu@example.com" in html and "Ihre Einladung zu Lernwerk" in html
    assert "waiting (lms mail send sends it)" in html


@pytest.mark.parametrize("profile", ["testing", "production"])
def test_the_outbox_page_is_not_there_outside_development(app, client, world, login, profile):
    app.config["ENV_NAME"] = profile
    login(world.admin)
    assert client.get("/admin/outbox").status_code == 404
    assert "/admin/outbox" not in client.get("/admin/platform").get_data(as_text=True)
