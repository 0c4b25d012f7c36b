"""The one way an invitation is made (`account_mail.invite`, `invite_all`): a link that
opens the invitation page, in a mail in the person's language; a new invitation makes
the earlier link stop working. Adding someone, the `lms invite` command, sending the
invitation again and both imports go through it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lms.models import TokenPurpose
from lms.services import account_mail
from lms.services.accounts import peek_token
from tests.factories import make_user

EN = {"Accept-Language": "en"}


def test_an_invitation_mails_a_link_that_opens_the_page_and_voids_the_earlier_one(
    app, client, db, world, mails
):
    person = make_user(db, world.a.company, password=None, language="en")
    now = datetime.now(UTC)
    with app.test_request_context():
        first = account_mail.invite(db, person, now, timedelta(days=14))
        second = account_mail.invite(db, person, now, timedelta(days=14))
    assert [m.to for m in mails] == [person.email, person.email]
    mail = mails[-1]
    assert mail.subject == "Your invitation to Lernwerk"
    assert f"/invitation/{second}" in mail.body and "for 14 days" in mail.body
    assert first not in mail.body
    assert peek_token(db, first, TokenPurpose.INVITE, now) is None
    assert peek_token(db, second, TokenPurpose.INVITE, now) == person
    late = now + timedelta(days=14, seconds=1)
    assert peek_token(db, second, TokenPurpose.INVITE, late) is None
    opened = client.get(f"/invitation/{second}", headers=EN)
    assert opened.status_code == 302 and opened.location == "/invitation"
    assert client.get(f"/invitation/{first}").status_code == 404


def test_many_are_invited_at_once_each_with_their_own_link_and_language(app, db, world, mails):
    german = make_user(db, world.a.company, password=None)  # the company's language: de
    english = make_user(db, world.a.company, password=None, language="en")
    now = datetime.now(UTC)
    with app.test_request_context():
        raws = account_mail.invite_all(db, [german, english], now, timedelta(days=14))
    assert {m.to: m.subject for m in mails} == {
        german.email: "Ihre Einladung zu Lernwerk",
        english.email: "Your invitation to Lernwerk",
    }
    for person in (german, english):
        (mail,) = (m for m in mails if m.to == person.email)
        assert f"/invitation/{raws[person.id]}" in mail.body
        assert peek_token(db, raws[person.id], TokenPurpose.INVITE, now) == person
