"""Hand-in tasks: the learner hands in a photo, a trainer of their company grades it,
the grade completes the unit, and only the right people see the file."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.grading import service as grading
from lms.grading.service import HandinError
from lms.models import AuditEntry, Course, Handin
from lms.services import learning
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
URL = "/learn/courses/fotokurs/foto"

HANDIN = """\
---
type: handin
title: Arbeitsplatz fotografieren
---
Fotografieren Sie Ihren gesicherten Arbeitsplatz.
"""


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 60)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def course(app, db, tmp_path):
    folder = write_course(tmp_path, {"02-foto.md": HANDIN}, slug="fotokurs")
    with app.test_request_context():
        import_course(db, folder, NOW - timedelta(days=3))
    return db.scalar(select(Course).where(Course.slug == "fotokurs"))


@pytest.fixture
def enrollment(db, world, course):
    person = world.a.employees[0]
    enrollment = learning.enroll(db, person, course, NOW)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    return enrollment


def upload(client, data: bytes, name: str = "arbeitsplatz.jpg"):
    # Encoded here: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=name)})
    return client.post(
        URL + "/handin",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=EN,
    )


def test_the_learner_hands_in_a_photo_and_sees_it_waiting(client, db, world, login, enrollment):
    login(world.a.employees[0])
    page = client.get(URL, headers=EN).get_data(as_text=True)
    assert "Not handed in yet." in page
    assert 'accept="image/jpeg,image/png" capture="environment"' in page
    response = upload(client, photo())
    assert response.status_code == 302
    page = client.get(URL, headers=EN).get_data(as_text=True)
    assert "waiting for your trainer" in page and "Hand in again" in page
    file = client.get(URL + "/handin/file")
    assert file.status_code == 200 and file.mimetype == "image/jpeg"
    assert file.headers["X-Content-Type-Options"] == "nosniff"
    assert "arbeitsplatz.jpg" in file.headers["Content-Disposition"]
    row = db.scalar(select(Handin))
    assert row.status == "waiting" and row.file_name == "arbeitsplatz.jpg"
    assert learning.course_progress(db, enrollment, "de").units[1].status == "open"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4 a pdf", "This kind of file is not taken here."),
        (b"<html><script>alert(1)</script></html>", "This kind of file is not taken here."),
        (b"\xff\xd8\xff" + b"0" * grading.MAX_FILE_BYTES, "The file is larger than 10 MB."),
    ],
)
def test_a_wrong_or_too_large_file_is_refused_and_nothing_kept(
    client, db, world, login, enrollment, data, message
):
    login(world.a.employees[0])
    response = upload(client, data, "x.jpg")
    assert response.status_code == 302
    assert message in client.get(URL, headers=EN).get_data(as_text=True)
    assert db.scalar(select(Handin)) is None
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "handin.submit")) is None


def test_the_file_is_served_only_to_the_learner_their_trainer(
    client, other_client, db, world, login, enrollment, course
):
    row = grading.hand_in(
        db, Actor(world.a.employees[0]), enrollment, "foto", "a.jpg", photo(), NOW
    )
    url = f"/author/grading/{row.id}/file"
    login(world.trainer, target=other_client)  # serves company A
    assert other_client.get(url).status_code == 200
    login(world.a.employees[1])  # a colleague: their own unit has no hand-in, no other way in
    learning.enroll(db, world.a.employees[1], course, NOW)
    assert client.get(URL + "/handin/file").status_code == 404
    assert client.get(url).status_code in (403, 404)
    login(world.a.manager)
    assert client.get(url).status_code in (403, 404)


def test_the_queue_shows_only_hand_ins_of_served_companies_oldest_first(
    client, db, world, login, enrollment, course
):
    first = grading.hand_in(
        db, Actor(world.a.employees[0]), enrollment, "foto", "a.jpg", photo(), NOW
    )
    colleague = learning.enroll(db, world.a.employees[2], course, NOW)
    grading.hand_in(db, Actor(world.a.employees[2]), colleague, "foto", "b.jpg", photo(),
                    NOW - timedelta(hours=1))  # fmt: skip
    foreign = learning.enroll(db, world.b.employees[0], course, NOW)
    other = grading.hand_in(db, Actor(world.b.employees[0]), foreign, "foto", "c.jpg", photo(), NOW)
    assert grading.waiting_count(db, world.trainer.id) == 2
    login(world.trainer)  # serves company A only
    page = client.get("/author/grading", headers=EN).get_data(as_text=True)
    assert world.b.employees[0].display_name not in page
    assert page.index(world.a.employees[2].display_name) < page.index(
        world.a.employees[0].display_name
    )
    assert client.get(f"/author/grading/{other.id}").status_code == 404
    assert client.get(f"/author/grading/{other.id}/file").status_code == 404
    assert client.get(f"/author/grading/{first.id}", headers=EN).status_code == 200


def test_accepting_completes_the_unit_and_the_learner_sees_the_feedback(
    client, other_client, db, world, login, enrollment
):
    person = world.a.employees[0]
    row = grading.hand_in(db, Actor(person), enrollment, "foto", "a.jpg", photo(), NOW)
    db.commit()
    login(world.trainer)
    url = f"/author/grading/{row.id}"
    refused = client.post(url, data={"decision": "redo", "feedback": ""}, headers=EN)
    assert refused.status_code == 422 and "what the employee should change" in refused.get_data(
        as_text=True
    )
    client.post(url, data={"decision": "redo", "feedback": "Der Bildschirm ist nicht gesperrt."})
    login(person, target=other_client)
    page = other_client.get(URL, headers=EN).get_data(as_text=True)
    assert "Please hand in again." in page and "Der Bildschirm ist nicht gesperrt." in page
    upload(other_client, photo())
    client.post(url, data={"decision": "accept", "feedback": "Jetzt passt es."})
    page = other_client.get(URL, headers=EN).get_data(as_text=True)
    assert "Accepted by" in page and "Jetzt passt es." in page and "Hand in again" not in page
    db.expire_all()
    progress = learning.course_progress(db, enrollment, "de")
    assert progress.units[1].status == "accepted" and progress.complete
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("handin.%")).order_by(AuditEntry.id)
    ).all()
    assert actions == ["handin.submit", "handin.grade", "handin.submit", "handin.grade"]
    # Each grade is a notice that leads to the unit.
    notices = other_client.get("/notices/", headers=EN).get_data(as_text=True)
    assert "Your trainer asks for a new hand-in for" in notices
    assert "Your hand-in for" in notices and "is accepted." in notices
    refused = upload(other_client, photo())
    assert "Your hand-in is accepted already." in other_client.get(URL, headers=EN).get_data(
        as_text=True
    )


def test_a_trainer_never_grades_a_hand_in_twice_nor_their_own(db, world, enrollment):
    row = grading.hand_in(
        db, Actor(world.a.employees[0]), enrollment, "foto", "a.jpg", photo(), NOW
    )
    grading.grade(db, Actor(world.trainer), row, True, "", NOW)
    with pytest.raises(HandinError) as error:
        grading.grade(db, Actor(world.trainer), row, False, "Nein", NOW)
    assert error.value.code == "graded-already"
    assert not grading.may_grade(world.trainer, world.trainer)
    assert not grading.may_grade(world.trainer, world.b.employees[0])


def test_the_trainers_navigation_counts_what_waits_for_them(client, db, world, login, enrollment):
    login(world.trainer)
    page = client.get("/author/grading", headers=EN).get_data(as_text=True)
    assert "Nothing is waiting for a grade." in page and "1 waiting" not in page
    grading.hand_in(db, Actor(world.a.employees[0]), enrollment, "foto", "a.jpg", photo(), NOW)
    db.commit()
    page = client.get("/author/grading", headers=EN).get_data(as_text=True)
    assert 'To grade<span aria-hidden="true"> (1)</span>' in page and ": 1 waiting" in page


def test_erasing_a_person_removes_their_photos_and_keeps_the_completed_unit(db, world, enrollment):
    from lms.services.erasure import erase_person

    person = world.a.employees[0]
    row = grading.hand_in(db, Actor(person), enrollment, "foto", "a.jpg", photo(), NOW)
    grading.grade(db, Actor(world.trainer), row, True, "Gut.", NOW)
    erase_person(db, person, NOW + timedelta(days=1))
    assert db.scalar(select(Handin)) is None
    assert learning.course_progress(db, enrollment, "de").units[1].status == "accepted"


def test_the_personal_data_export_lists_the_hand_ins(app, db, world, enrollment):
    from lms.services.personal_data import export_personal_data

    person = world.a.employees[0]
    row = grading.hand_in(db, Actor(person), enrollment, "foto", "a.jpg", photo(), NOW)
    grading.grade(db, Actor(world.trainer), row, False, "Bitte neu.", NOW)
    with app.test_request_context():
        data = export_personal_data(db, person)
    (entry,) = data["handins"]
    assert (entry["course"], entry["unit"], entry["status"], entry["feedback"]) == (
        "fotokurs",
        "foto",
        "redo",
        "Bitte neu.",
    )
