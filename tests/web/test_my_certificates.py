"""The learner's "Meine Zertifikate" (issue 18, point 16): every certificate with its
validity in words, the PDF and the public verification link, also after the module's
version changed and for earlier rounds; and a German-only title marked on an English
page, also on the start page's refresher card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.content.importer import import_course
from lms.models import Completion, Course
from lms.templating import date_filter
from tests.factories import make_user
from tests.unit.test_course_parser import COURSE_MD, write_course
from tests.web.test_refreshers import setup  # noqa: F401  (fixture)

EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}
LESSON_2 = "---\ntype: lesson\ntitle: Vertiefung\nminutes: 6\n---\nMehr Text.\n"


@pytest.fixture
def module(app, db, tmp_path):
    """A German-only module of one lesson, valid for 12 months; returns a function that
    publishes a new version with other files."""
    folder = write_course(tmp_path, {})

    def publish(**files: str) -> None:
        for name, text in files.items():
            (folder / name).write_text(text)
        with app.test_request_context():
            outcome = import_course(db, folder, datetime.now(UTC))
        assert outcome.version is not None, outcome.problems

    publish()
    return publish


def complete(client) -> None:
    """Take the module (or a new round of it) and complete it, as the learner does."""
    client.post("/learn/courses/testkurs/enroll")
    client.post("/learn/courses/testkurs/einstieg/done")


def mine(db, person) -> list[Completion]:
    return list(
        db.scalars(
            select(Completion)
            .where(Completion.user_id == person.id)
            .order_by(Completion.completed_at.desc(), Completion.id.desc())
        )
    )


@pytest.fixture
def english_day(app):
    """A moment's day as an English page writes it."""

    def written(moment: datetime) -> str:
        with app.test_request_context(headers=EN):
            return date_filter(moment)

    return written


def rows(page: str) -> list[str]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return body.split("<tr>")[1:]


def test_the_page_lists_a_certificate_with_validity_pdf_and_verification_link(
    app, client, db, world, login, module, english_day
):
    person = world.a.employees[0]
    login(person)
    complete(client)
    (completion,) = mine(db, person)
    page = client.get("/learn/certificates", headers=EN).get_data(as_text=True)
    assert "<h1>My certificates</h1>" in page
    (row,) = rows(page)
    # The German-only title is marked as German on the English page.
    assert '<a href="/learn/courses/testkurs" lang="de">Testkurs</a>' in row
    assert f"Valid until {english_day(completion.valid_until)}" in row
    assert '<span aria-hidden="true">✓</span>' in row  # a sign and words, not colour only
    pdf_link = f'href="/learn/certificates/{completion.code}.pdf"'
    verify_link = f'href="/verify/{completion.code}"'
    assert pdf_link in row and verify_link in row and completion.code in row
    pdf = client.get(f"/learn/certificates/{completion.code}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    public = app.test_client().get(f"/verify/{completion.code}", headers=EN)
    assert "This certificate is genuine and valid." in public.get_data(as_text=True)
    # The learner finds it from the navigation and from the start page.
    start = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert '<a href="/learn/certificates">My certificates</a>' in start
    assert "All my certificates, also earlier ones" in start
    german = client.get("/learn/certificates", headers=DE).get_data(as_text=True)
    assert 'aria-current="page"' in german and 'lang="de">Testkurs' not in german


def test_a_certificate_of_an_older_version_stays_and_its_pdf_still_works(
    client, db, world, login, module
):
    person = world.a.employees[0]
    login(person)
    complete(client)
    # A new version with one more lesson, then one that asks everyone to requalify.
    module(**{"02-vertiefung.md": LESSON_2})
    module(**{"course.md": COURSE_MD.replace("tags:", "requalification: required\ntags:")})
    (completion,) = mine(db, person)
    assert completion.version.number == 1
    page = client.get("/learn/certificates", headers=EN).get_data(as_text=True)
    (row,) = rows(page)
    assert '<td data-label="Version">1</td>' in row
    assert "Renewal needed" in row and "must be taken again" in row
    pdf = client.get(f"/learn/certificates/{completion.code}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_recertified_module_lists_both_certificates_newest_first(
    client, db, world, login, module, english_day
):
    person = world.a.employees[0]
    login(person)
    complete(client)
    first = mine(db, person)[0]
    first.completed_at -= timedelta(days=400)
    first.valid_until = first.completed_at + timedelta(days=365)  # expired by now
    db.flush()
    client.post("/learn/courses/testkurs/renew")
    complete(client)
    newer, older = mine(db, person)
    assert older.id == first.id and newer.code != older.code
    page = client.get("/learn/certificates", headers=EN).get_data(as_text=True)
    top, bottom = rows(page)
    assert newer.code in top and older.code in bottom
    assert f"Valid until {english_day(newer.valid_until)}" in top
    assert f"Expired on {english_day(older.valid_until)}" in bottom
    assert f"Completed again on {english_day(newer.completed_at)}" in bottom
    for completion in (newer, older):
        assert client.get(f"/learn/certificates/{completion.code}.pdf").status_code == 200


def test_revoked_expiring_and_unlimited_certificates_say_so_in_words(
    client, db, world, login, module, english_day
):
    person = world.a.employees[0]
    login(person)
    complete(client)
    (completion,) = mine(db, person)
    completion.valid_until = datetime.now(UTC) + timedelta(days=5)  # within the lead time
    db.flush()
    page = client.get("/learn/certificates", headers=EN).get_data(as_text=True)
    assert "expiring soon" in page and "status--warn" in page
    completion.valid_until = None
    db.flush()
    page = client.get("/learn/certificates", headers=EN).get_data(as_text=True)
    assert "Valid without time limit" in page
    completion.revoked_at = datetime.now(UTC)
    db.flush()
    page = client.get("/learn/certificates", headers=EN).get_data(as_text=True)
    assert f"Revoked on {english_day(completion.revoked_at)}" in page
    assert "status--danger" in page


def test_only_the_learners_own_certificates_are_listed(
    client, other_client, db, world, login, module
):
    person = world.a.employees[0]
    login(person)
    complete(client)
    (completion,) = mine(db, person)
    colleague = world.a.employees[1]
    stranger = make_user(db, world.b.company)
    for other in (colleague, stranger):
        login(other, target=other_client)
        page = other_client.get("/learn/certificates", headers=EN).get_data(as_text=True)
        assert completion.code not in page
        assert "You have no certificate yet." in page  # the empty state, with a next step
        assert '<a href="/learn/">Go to my modules</a>' in page
        assert other_client.get(f"/learn/certificates/{completion.code}.pdf").status_code == 404


def test_the_page_needs_the_same_queries_for_one_certificate_or_many(
    app, client, db, world, login, module, tmp_path, count_queries
):
    person = world.a.employees[0]
    login(person)
    complete(client)

    def queries() -> int:
        client.get("/learn/certificates")
        count_queries.statements.clear()
        client.get("/learn/certificates")
        return count_queries.count

    one = queries()
    other_md = COURSE_MD.replace("title: Testkurs", "title: Zweitkurs")
    with app.test_request_context():
        import_course(db, write_course(tmp_path / "b", {"course.md": other_md}, "zweitkurs"),
                      datetime.now(UTC))  # fmt: skip
    assert db.scalar(select(Course).where(Course.slug == "zweitkurs")) is not None
    client.post("/learn/courses/zweitkurs/enroll")
    client.post("/learn/courses/zweitkurs/einstieg/done")
    assert len(mine(db, person)) == 2
    assert queries() == one, count_queries.statements


def test_the_refresher_card_marks_a_german_only_title_on_an_english_page(
    client,
    login,
    setup,  # noqa: F811
):
    _version, learner, _completion = setup
    login(learner)
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    card = page[page.index('<section class="card refresher"') :]
    card = card[: card.index("</section>")]
    assert 'lang="de">Testkurs</h3>' in card
    assert 'A few questions from <span lang="de">Testkurs</span>' in card
    german = client.get("/learn/", headers=DE).get_data(as_text=True)
    card = german[german.index('<section class="card refresher"') :]
    assert '">Testkurs</h3>' in card and 'lang="de">Testkurs' not in card
