"""Course drafts in the browser: a template or the live version, editing with optimistic
locking, the same check as `lms courses check`, publishing a new version only on change."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.audit.service import Actor
from lms.content.importer import import_course, version_sources
from lms.models import Course, CourseDraft, CourseEditor, CourseVersion, DraftFile
from lms.services import drafts, learning
from tests.factories import make_user
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}


@pytest.fixture
def course(app, db, tmp_path, world):
    """The sample course, which an admin granted to the trainer."""
    with app.test_request_context():
        import_course(db, write_course(tmp_path, {}), datetime.now(UTC))
    # Granted directly, not through `drafts.set_editors`: the tests below count the
    # audit entries of their own changes.
    db.add(CourseEditor(slug="testkurs", user_id=world.trainer.id))
    db.flush()
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


def versions(db, slug):
    return db.scalars(
        select(CourseVersion.number)
        .join(Course, Course.id == CourseVersion.course_id)
        .where(Course.slug == slug)
        .order_by(CourseVersion.number)
    ).all()


def rev(db, slug):
    """The draft's current revision, as its page puts it into the publish form."""
    db.expire_all()
    return db.scalar(select(CourseDraft.revision).where(CourseDraft.slug == slug))


def file_text(db, slug, path):
    return db.scalar(
        select(DraftFile.data)
        .join(CourseDraft, CourseDraft.id == DraftFile.draft_id)
        .where(CourseDraft.slug == slug, DraftFile.path == path)
    ).decode()


def test_a_new_course_from_the_template_checks_clean_and_publishes_once(client, db, world, login):
    login(world.trainer)
    response = client.post("/author/drafts", data={"title": "Stapler fahren", "slug": "stapler"})
    assert response.status_code == 302
    page = client.get("/author/drafts/stapler", headers=EN).get_data(as_text=True)
    assert "No problems found" in page and "01-einstieg.md" in page
    response = client.post(
        "/author/drafts/stapler/publish",
        data={"note": "Erste Fassung", "revision": rev(db, "stapler")},
        headers=EN,
    )
    assert response.status_code == 302
    version = db.scalar(select(CourseVersion))
    assert (version.number, version.title, version.change_note) == (
        1,
        "Stapler fahren",
        "Erste Fassung",
    )
    assert version.published_by_id == world.trainer.id
    listing = client.get("/author/courses/stapler").get_data(as_text=True)
    assert "Erste Fassung" in listing and world.trainer.display_name in listing
    # Nothing changed: no new version.
    client.post("/author/drafts/stapler/publish", data={"note": "", "revision": rev(db, "stapler")})
    assert versions(db, "stapler") == [1]


def test_a_short_name_in_use_or_malformed_is_refused_and_the_title_kept(
    client, db, world, login, course
):
    login(world.trainer)
    for slug, message in (("testkurs", "exists already"), ("Mit Leerzeichen", "lower case")):
        response = client.post(
            "/author/drafts", data={"title": "Mein Kurs", "slug": slug}, headers=EN
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and message in page
        assert 'value="Mein Kurs"' in page
    assert db.scalar(select(func.count()).select_from(CourseDraft)) == 0


def test_a_draft_of_the_live_version_is_edited_and_published_as_version_2(
    client, db, world, login, course
):
    learner = world.a.employees[0]
    started = learning.enroll(db, learner, course, datetime.now(UTC))
    login(world.trainer)
    assert client.post("/author/courses/testkurs/draft").status_code == 302
    live = db.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id))
    draft = db.scalar(select(CourseDraft))
    assert {f.path for f in draft.files} == set(version_sources(db, live))
    page = client.get("/author/drafts/testkurs/files/01-einstieg.md")
    assert "Worum es geht" in page.get_data(as_text=True)
    text = file_text(db, "testkurs", "01-einstieg.md") + "\nEin neuer Absatz.\n"
    response = client.post(
        "/author/drafts/testkurs/files/01-einstieg.md",
        data={"text": text, "revision": draft.revision},
    )
    assert response.status_code == 302
    client.post(
        "/author/drafts/testkurs/publish",
        data={"note": "Absatz ergänzt", "revision": rev(db, "testkurs")},
    )
    assert versions(db, "testkurs") == [1, 2]
    # The learner who had started keeps version 1; a new start gets version 2.
    db.refresh(started)
    assert started.version.number == 1
    newcomer = learning.enroll(db, world.a.employees[1], course, datetime.now(UTC))
    assert newcomer.version.number == 2


def test_saving_over_someone_elses_change_is_refused_and_loses_neither_text(
    app, client, db, world, login, course
):
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    draft = db.scalar(select(CourseDraft))
    opened_at = draft.revision
    original = file_text(db, "testkurs", "01-einstieg.md")
    first = original + "\nText von Trainerin A.\n"
    second = original + "\nText von Trainer B.\n"
    url = "/author/drafts/testkurs/files/01-einstieg.md"
    assert client.post(url, data={"text": first, "revision": opened_at}).status_code == 302
    other = make_user(db, None, *world.trainer.roles, name="Trainer B")
    drafts.set_editors(db, Actor(world.admin), course, [world.trainer, other], datetime.now(UTC))
    with app.test_client() as colleague:
        login(other, target=colleague)
        response = colleague.post(url, data={"text": second, "revision": opened_at}, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this draft" in page
    assert "Text von Trainerin A." in page and "Text von Trainer B." in page  # both shown
    assert file_text(db, "testkurs", "01-einstieg.md") == first  # nothing overwritten


def test_an_error_is_shown_with_file_and_line_and_blocks_publishing(
    client, db, world, login, course
):
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    draft = db.scalar(select(CourseDraft))
    broken = "---\ntype: lesson\ntitle: Einstieg\nminutes: viele\n---\nText.\n"
    client.post(
        "/author/drafts/testkurs/files/01-einstieg.md",
        data={"text": broken, "revision": draft.revision},
    )
    page = client.get("/author/drafts/testkurs", headers=EN).get_data(as_text=True)
    assert "01-einstieg.md:4" in page and "Error" in page
    assert "Publish as a new version" not in page
    response = client.post(
        "/author/drafts/testkurs/publish", data={"revision": rev(db, "testkurs")}, headers=EN
    )
    assert response.status_code == 302
    assert versions(db, "testkurs") == [1]  # the live version stays


def test_files_are_added_and_deleted_with_checked_names(client, db, world, login, course):
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    response = client.post("/author/drafts/testkurs/files", data={"path": "../boese.md"})
    assert response.status_code == 302
    assert db.scalar(select(func.count()).select_from(DraftFile).where(
        DraftFile.path.contains("boese"))) == 0  # fmt: skip
    response = client.post("/author/drafts/testkurs/files", data={"path": "02-zweite"})
    assert response.location.endswith("/author/drafts/testkurs/files/02-zweite.md")
    draft = db.scalar(select(CourseDraft))
    client.post("/author/drafts/testkurs/files/02-zweite.md/delete",
                data={"revision": draft.revision})  # fmt: skip
    assert "02-zweite.md" not in {f.path for f in db.scalar(select(CourseDraft)).files}
    refused = client.post("/author/drafts/testkurs/files/course.md/delete",
                          data={"revision": draft.revision + 1}, follow_redirects=True,
                          headers=EN)  # fmt: skip
    assert "cannot be deleted" in refused.get_data(as_text=True)


def test_a_companys_own_trainer_reaches_only_their_companys_drafts(
    client, db, world, login, course
):
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    in_house = make_user(db, world.b.company, *world.trainer.roles, name="Hausintern")
    client.post("/logout")
    login(in_house)
    assert client.get("/author/drafts/testkurs").status_code == 404
    assert "testkurs" not in client.get("/author/drafts").get_data(as_text=True)
    client.post("/author/drafts", data={"title": "Nur für Beta", "slug": "beta-intern"})
    draft = db.scalar(select(CourseDraft).where(CourseDraft.slug == "beta-intern"))
    assert draft.company_id == world.b.company.id


def test_an_uploaded_zip_becomes_a_draft_and_downloads_to_the_same_content_hash(
    app, client, db, world, login, tmp_path
):
    from lms.content.archive import (
        CourseFiles,
        files_from_folder,
        read_course_zip,
        write_course_zip,
    )
    from lms.content.importer import files_hash

    folder = write_course(tmp_path, {}, slug="hochgeladen")
    files = files_from_folder(folder)
    # Zipped as a folder, as Windows' "Send to compressed folder" does.
    zipped = write_course_zip(CourseFiles({f"hochgeladen/{p}": d for p, d in files.items()}))
    login(world.trainer)
    response = client.post(
        "/author/drafts/upload",
        data={"file": (io.BytesIO(zipped), "kurs.zip")},
        content_type="multipart/form-data",
    )
    assert response.location.endswith("/author/drafts/hochgeladen")  # named by its folder
    downloaded = client.get("/author/drafts/hochgeladen.zip")
    assert downloaded.mimetype == "application/zip"
    assert files_hash(read_course_zip(downloaded.data)) == files_hash(files)
    client.post(
        "/author/drafts/hochgeladen/publish", data={"note": "", "revision": rev(db, "hochgeladen")}
    )
    version = db.scalar(select(CourseVersion))
    assert version.content_hash == files_hash(files)
    again = client.get("/author/courses/hochgeladen/v1.zip")
    assert files_hash(read_course_zip(again.data)) == version.content_hash


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"../evil.md": b"x", "course.md": b"x"}, "leads outside the course folder"),
        ({"01-a.md": b"x"}, "has no course.md"),
        ({"course.md": "ä".encode("latin-1")}, "not saved as UTF-8"),
    ],
)
def test_a_hostile_or_broken_zip_is_refused_with_a_message_and_writes_nothing(
    client, db, world, login, entries, message
):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    login(world.trainer)
    response = client.post(
        "/author/drafts/upload",
        data={"file": (io.BytesIO(buffer.getvalue()), "kurs.zip"), "slug": "boese"},
        content_type="multipart/form-data",
        headers=EN,
        follow_redirects=True,
    )
    assert message in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(CourseDraft)) == 0


def test_a_companys_own_course_is_open_to_that_company_only(client, db, world, login):
    from lms.content.importer import is_visible

    in_house = make_user(db, world.a.company, *world.trainer.roles, name="Hausintern")
    login(in_house)
    client.post("/author/drafts", data={"title": "Nur für Alpha", "slug": "alpha-intern"})
    client.post(
        "/author/drafts/alpha-intern/publish",
        data={"note": "", "revision": rev(db, "alpha-intern")},
    )
    course = db.scalar(select(Course).where(Course.slug == "alpha-intern"))
    assert is_visible(db, course, world.a.company.id)
    assert not is_visible(db, course, world.b.company.id)
    # A provider course cannot be taken over by a company's trainer.
    assert client.post("/author/courses/alpha-intern/draft").status_code in (302, 404)


def _publish_change(client, db, text_added):
    draft = db.scalar(select(CourseDraft))
    text = file_text(db, "testkurs", "01-einstieg.md") + text_added
    client.post(
        "/author/drafts/testkurs/files/01-einstieg.md",
        data={"text": text, "revision": draft.revision},
    )
    client.post(
        "/author/drafts/testkurs/publish", data={"note": "", "revision": rev(db, "testkurs")}
    )


def test_two_versions_are_compared_line_by_line(client, db, world, login, course):
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    _publish_change(client, db, "\nEin ganz neuer Satz.\n")
    page = client.get("/author/courses/testkurs/diff?from=1&to=2", headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "01-einstieg.md" in html and "course.md</code>" not in html  # only what changed
    assert (
        '<span class="diff__add"><span class="visually-hidden">added: </span>+Ein ganz neuer Satz.'
        in html
    )


def test_rolling_back_publishes_the_earlier_content_as_a_new_version(
    client, db, world, login, course
):
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    first = db.scalar(select(CourseVersion).where(CourseVersion.number == 1))
    _publish_change(client, db, "\nEin Fehler.\n")
    assert versions(db, "testkurs") == [1, 2]
    client.post("/author/courses/testkurs/v1/rollback")
    assert versions(db, "testkurs") == [1, 2, 3]
    third = db.scalar(select(CourseVersion).where(CourseVersion.number == 3))
    assert third.content_hash == first.content_hash
    assert third.change_note == "Zurück zu Version 1"
    # Rolling back to what is live already makes nothing.
    client.post("/author/courses/testkurs/v3/rollback")
    assert versions(db, "testkurs") == [1, 2, 3]


QUIZ = """---
type: quiz
title: Wissenscheck
pass_mark: 50
---

## Was ist richtig? {#frage}

- (x) Das hier
  > Genau.
- ( ) Das nicht
  > Leider falsch.

explanation: Weil es so ist.
"""


def test_the_preview_shows_the_draft_and_grades_a_quiz_without_recording_it(
    client, db, world, login, course, count_queries
):
    from lms.models import AttemptAnswer, LearningRecord, QuizAttempt

    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    draft = db.scalar(select(CourseDraft))
    client.post("/author/drafts/testkurs/files/02-wissenscheck.md",
                data={"text": QUIZ, "revision": draft.revision})  # fmt: skip
    overview = client.get("/author/drafts/testkurs/preview", headers=EN)
    assert overview.status_code == 200 and "Wissenscheck" in overview.get_data(as_text=True)
    lesson = client.get("/author/drafts/testkurs/preview/einstieg").get_data(as_text=True)
    assert "/author/drafts/testkurs/assets/assets/bild.png" in lesson  # the draft's asset
    assert client.get("/author/drafts/testkurs/assets/assets/bild.png").status_code == 200
    page = client.get("/author/drafts/testkurs/preview/wissenscheck", headers=EN)
    html = page.get_data(as_text=True)
    assert "Leider falsch." not in html and "Weil es so ist." not in html  # no key before
    count_queries.statements.clear()
    graded = client.post(
        "/author/drafts/testkurs/preview/wissenscheck", data={"q-frage": "1"}, headers=EN
    ).get_data(as_text=True)
    assert "wrong" in graded and "Leider falsch." in graded and "Weil es so ist." in graded
    writes = [s for s in count_queries.statements
              if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]  # fmt: skip
    assert not writes
    for model in (QuizAttempt, AttemptAnswer, LearningRecord):
        assert db.scalar(select(func.count()).select_from(model)) == 0


def test_the_live_check_reports_the_typed_text_without_saving_it(client, db, world, login, course):
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    before = file_text(db, "testkurs", "01-einstieg.md")
    broken = "---\ntype: lesson\ntitle: Einstieg\nminutes: viele\n---\nNeuer **Text**.\n"
    response = client.post(
        "/author/drafts/testkurs/files/01-einstieg.md/check", data={"text": broken}, headers=EN
    )
    data = response.get_json()
    assert response.status_code == 200
    (problem,) = data["problems"]
    assert problem["line"] == 4 and problem["error"] and problem["where"] == "line 4"
    assert data["summary"] == "1 problem in this file."
    fixed = broken.replace("viele", "5")
    data = client.post(
        "/author/drafts/testkurs/files/01-einstieg.md/check", data={"text": fixed}, headers=EN
    ).get_json()
    assert data["problems"] == [] and data["summary"] == "No problems in this file."
    shown = client.post(
        "/author/drafts/testkurs/files/01-einstieg.md/render", data={"text": fixed}
    ).get_json()
    assert "<strong>Text</strong>" in shown["html"]
    assert file_text(db, "testkurs", "01-einstieg.md") == before  # nothing saved
    page = client.get("/author/drafts/testkurs/files/01-einstieg.md").get_data(as_text=True)
    assert "js/draft-editor.js" in page and 'data-check-url="' in page


def test_units_move_up_and_down_and_files_are_renamed_and_assets_added(
    client, db, world, login, course
):
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    revision = db.scalar(select(CourseDraft)).revision
    client.post("/author/drafts/testkurs/files/02-zwei.md/check", data={"text": ""})  # no write
    client.post("/author/drafts/testkurs/files/02-zwei.md",
                data={"text": "---\ntype: lesson\ntitle: Zwei\n---\nText.\n",
                      "revision": revision})  # fmt: skip
    revision = db.scalar(select(CourseDraft)).revision
    client.post("/author/drafts/testkurs/units/02-zwei/move",
                data={"direction": "up", "revision": revision})  # fmt: skip
    paths = {f.path for f in db.scalar(select(CourseDraft)).files}
    assert {"01-zwei.md", "02-einstieg.md"} <= paths
    revision = db.scalar(select(CourseDraft)).revision
    client.post("/author/drafts/testkurs/files/01-zwei.md/rename",
                data={"new_path": "01-zwei-neu", "revision": revision})  # fmt: skip
    assert "01-zwei-neu.md" in {f.path for f in db.scalar(select(CourseDraft)).files}
    bad = client.post("/author/drafts/testkurs/files/01-zwei-neu.md/rename",
                      data={"new_path": "../x.md", "revision": revision + 1},
                      follow_redirects=True, headers=EN)  # fmt: skip
    assert "Files are course.md" in bad.get_data(as_text=True)
    client.post(
        "/author/drafts/testkurs/assets",
        data={"file": (io.BytesIO(b"\x89PNG neu"), "Mein Foto.PNG")},
        content_type="multipart/form-data",
    )
    assert "assets/mein-foto.png" in {f.path for f in db.scalar(select(CourseDraft)).files}
    refused = client.post(
        "/author/drafts/testkurs/assets",
        data={"file": (io.BytesIO(b"MZ"), "virus.exe")},
        content_type="multipart/form-data",
        follow_redirects=True,
        headers=EN,
    )
    assert "Assets are images" in refused.get_data(as_text=True)


def test_learners_ratings_and_comments_show_beside_the_units_source(
    client, db, world, login, course
):
    now = datetime.now(UTC)
    for i, (rating, comment) in enumerate([(2, "Zu lang."), (4, ""), (3, "Gut erklärt.")]):
        enrollment = learning.enroll(db, world.a.employees[i], course, now)
        learning.give_feedback(db, enrollment, "einstieg", rating, comment, now)
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    page = client.get("/author/drafts/testkurs/files/01-einstieg.md", headers=EN)
    html = page.get_data(as_text=True)
    assert "What learners said about this unit" in html
    assert "Zu lang." in html and "Gut erklärt." in html
    assert ">3<" in html  # three ratings, average 3
    for person in world.a.employees:
        assert person.display_name not in html  # never names a learner


def test_only_trainers_granted_a_course_change_it(client, db, world, login, course):
    outsider = make_user(db, None, *world.trainer.roles, name="Nicht freigegeben")
    login(outsider)
    refused = client.post("/author/courses/testkurs/draft", follow_redirects=True, headers=EN)
    assert "An administrator grants who may change this course." in refused.get_data(as_text=True)
    assert client.post("/author/courses/testkurs/v1/rollback").status_code == 404
    client.post("/logout")
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    client.post("/logout")
    login(outsider)
    assert client.get("/author/drafts/testkurs").status_code == 404
    assert "testkurs" not in client.get("/author/drafts").get_data(as_text=True)
    # Whoever starts a new course may go on changing it.
    client.post("/author/drafts", data={"title": "Eigener Kurs", "slug": "eigener-kurs"})
    assert client.get("/author/drafts/eigener-kurs").status_code == 200


def test_an_admin_grants_who_may_change_a_course(client, db, world, login, course):
    from lms.models import AuditEntry

    other = make_user(db, None, *world.trainer.roles, name="Neue Trainerin")
    login(world.admin)
    page = client.get("/admin/catalogue").get_data(as_text=True)
    assert "Neue Trainerin" in page
    # The same trainer ticked twice (a doctored form) is granted once.
    granted = client.post(
        f"/admin/catalogue/{course.id}/editors", data={"editor": [other.id, other.id]}
    )
    assert granted.status_code == 302
    editors = db.scalars(select(CourseEditor.user_id).where(CourseEditor.slug == "testkurs"))
    assert list(editors) == [other.id]
    # One change, one entry: written by the service that changes the editors.
    (entry,) = db.scalars(select(AuditEntry))
    assert (entry.action, entry.company_id, entry.subject, entry.subject_id) == (
        "course.editors", None, "testkurs", course.id,
    )  # fmt: skip
    assert (entry.actor_id, entry.actor_name, entry.address) == (
        world.admin.id, world.admin.display_name, "127.0.0.0/24",
    )  # fmt: skip
    assert entry.changes == {"editors": [[world.trainer.display_name], [other.display_name]]}


@pytest.mark.parametrize("action", ["check", "render"])
def test_the_live_check_writes_nothing_outside_the_draft(
    client, db, world, login, course, tmp_path, action
):
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    target = tmp_path / "eingeschleust.md"
    relative = "../" * 12 + str(target).lstrip("/")
    response = client.post(f"/author/drafts/testkurs/files/{relative}/{action}",
                           data={"text": "x"})  # fmt: skip
    assert response.status_code == 404
    assert not target.exists()


def test_a_companys_trainer_sees_neither_other_companies_nor_the_providers_courses(
    client, db, world, login, course
):
    alpha = make_user(db, world.a.company, *world.trainer.roles, name="Alpha intern")
    login(alpha)
    client.post("/author/drafts", data={"title": "Nur Alpha", "slug": "alpha-intern"})
    client.post("/author/drafts/alpha-intern/publish",
                data={"note": "", "revision": rev(db, "alpha-intern")})  # fmt: skip
    client.post("/logout")
    beta = make_user(db, world.b.company, *world.trainer.roles, name="Beta intern")
    login(beta)
    assert "alpha-intern" not in client.get("/author/").get_data(as_text=True)
    for url in ("/author/courses/alpha-intern", "/author/courses/alpha-intern/v1/",
                "/author/courses/alpha-intern/v1.zip", "/author/courses/alpha-intern/diff",
                "/author/courses/testkurs", "/author/courses/testkurs/v1.zip"):  # fmt: skip
        assert client.get(url).status_code == 404, url


def test_a_draft_never_takes_over_a_course_that_appeared_after_it(
    app, client, db, world, login, tmp_path
):
    alpha = make_user(db, world.a.company, *world.trainer.roles, name="Alpha intern")
    login(alpha)
    client.post("/author/drafts", data={"title": "Testkurs", "slug": "testkurs"})
    with app.test_request_context():  # the provider imports its own course of that name
        import_course(db, write_course(tmp_path, {}), datetime.now(UTC))
    response = client.post(
        "/author/drafts/testkurs/publish",
        data={"note": "", "revision": rev(db, "testkurs")},
        follow_redirects=True,
        headers=EN,
    )
    assert "Meanwhile a course of this short name was made" in response.get_data(as_text=True)
    course = db.scalar(select(Course).where(Course.slug == "testkurs"))
    assert course.shared and versions(db, "testkurs") == [1]


def test_publishing_needs_the_revision_seen_and_is_audited(client, db, world, login, course):
    from lms.models import AuditEntry

    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    seen = rev(db, "testkurs")
    text = file_text(db, "testkurs", "01-einstieg.md") + "\\nNeu.\\n"
    client.post("/author/drafts/testkurs/files/01-einstieg.md",
                data={"text": text, "revision": seen})  # fmt: skip
    stale = client.post("/author/drafts/testkurs/publish", data={"revision": seen},
                        follow_redirects=True, headers=EN)  # fmt: skip
    assert "Someone changed the draft meanwhile" in stale.get_data(as_text=True)
    assert versions(db, "testkurs") == [1]
    client.post("/author/drafts/testkurs/publish",
                data={"note": "Neu", "revision": rev(db, "testkurs")})  # fmt: skip
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "course.publish"))
    assert entry.changes["version"] == [None, 2] and entry.changes["note"] == [None, "Neu"]


def test_publishing_and_rolling_back_write_their_own_audit_entries(app, db, world, course):
    from lms.audit.service import Actor
    from lms.content.importer import ImportStatus
    from lms.models import AuditEntry

    trainer = Actor(world.trainer, "192.0.2.0/24")
    now = datetime.now(UTC)
    draft = drafts.draft_from_version(db, course, world.trainer, now)
    text = file_text(db, "testkurs", "01-einstieg.md") + "\nNeu.\n"
    drafts.save_text(db, draft, "01-einstieg.md", text, draft.revision, world.trainer, now)
    first = db.scalar(select(CourseVersion).where(CourseVersion.number == 1))
    with app.test_request_context():
        published = drafts.publish(db, trainer, draft, now, note=" Neu ").version
        back = drafts.roll_back(db, trainer, course, first, now, "Zurück").version
        again = drafts.roll_back(db, trainer, course, first, now, "Zurück")
    assert again.status is ImportStatus.UNCHANGED  # the live content already: no entry

    logged = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.company_id, e.subject, e.subject_id, e.changes) for e in logged] == [
        ("course.publish", None, "testkurs", published.id,
         {"version": [None, 2], "note": [None, "Neu"], "requalification": [None, False],
          "content": [None, published.content_hash[:12]]}),
        ("course.rollback", None, "testkurs", back.id,
         {"version": [None, 3], "content_of": [None, 1]}),
    ]  # fmt: skip
    assert {(e.actor_id, e.address) for e in logged} == {(world.trainer.id, "192.0.2.0/24")}
    assert published.published_by_id == back.published_by_id == world.trainer.id


def test_units_that_differ_only_by_number_swap_places(client, db, world, login, course):
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    for name in ("02-teil.md", "03-teil.md"):
        client.post(f"/author/drafts/testkurs/files/{name}",
                    data={"text": "---\ntype: lesson\ntitle: Teil\n---\nText.\n",
                          "revision": rev(db, "testkurs")})  # fmt: skip
    response = client.post("/author/drafts/testkurs/units/03-teil/move",
                           data={"direction": "up", "revision": rev(db, "testkurs")})  # fmt: skip
    assert response.status_code == 302


def _units(html: str) -> list[tuple[str, str]]:
    """The draft page's list of units: (the title linked, the line of file names)."""
    import re

    listed = html.split('<ol class="unit-order"', 1)[1].split("</ol>", 1)[0]
    return [
        (title, " ".join(re.sub(r"<[^>]+>", "", files).split()))
        for title, files in re.findall(
            r'class="unit-order__title"[^>]*>([^<]*)</a>\s*'
            r'<span class="unit-order__files muted">(.*?)</span>',
            listed,
            re.S,
        )
    ]


def test_the_draft_lists_its_units_by_title_with_their_files_secondary(
    client, db, world, login, course
):
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    revision = db.scalar(select(CourseDraft)).revision
    url = "/author/drafts/testkurs/files"
    # A unit in two languages, and one whose front matter is broken.
    for path, text in (
        ("03-pause.md", "---\ntype: lesson\ntitle: Pausen richtig nutzen\n---\nText.\n"),
        ("03-pause.en.md", "---\ntype: lesson\ntitle: Taking breaks\n---\nText.\n"),
        ("04-kaputt.md", "---\ntitle: [nicht geschlossen\n---\nText.\n"),
    ):
        client.post(f"{url}/{path}", data={"text": text, "revision": revision})
        revision += 1
    html = client.get("/author/drafts/testkurs", headers=EN).get_data(as_text=True)
    units = _units(html)
    assert [title for title, _files in units][-3:] == [
        "Einstieg",
        "Pausen richtig nutzen",  # the course's language first, not "Taking breaks"
        "04-kaputt",  # no title to read: its file's name
    ]
    assert units[-3][1] == "Lesson · 01-einstieg.md"
    assert units[-2][1] == "Lesson · 03-pause.md, 03-pause.en.md"
    assert f'href="{url}/03-pause.md">Pausen richtig nutzen</a>' in html
    assert f'href="{url}/03-pause.en.md"><code>03-pause.en.md</code></a>' in html


def test_the_editor_shows_the_units_preview_from_the_start(client, db, world, login, course):
    """Without JavaScript too: the page shows the unit as learners see it, beside the
    editor, and the live check (JavaScript) only updates it."""
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")
    url = "/author/drafts/testkurs/files/01-einstieg.md"
    html = client.get(url, headers=EN).get_data(as_text=True)
    assert '<h1><span lang="de">Einstieg</span>' in html  # German content, English page
    assert "<code>01-einstieg.md</code> · Lesson" in html
    editor, preview = html.split('class="draft-editor__preview"', 1)
    assert 'class="draft-editor"' in editor and 'id="text"' in editor
    shown = preview.split('id="live-preview"', 1)[1].split("</section>", 1)[0]
    assert "Worum es geht</h2>" in shown  # the unit's body, rendered
    assert 'id="preview-waiting" hidden' in preview and 'lang="de"' in shown.split(">")[0]
    assert 'data-render-url="' in editor

    # Saved over someone's change (409): the preview shows the text in the editor.
    draft = db.scalar(select(CourseDraft))
    typed = file_text(db, "testkurs", "01-einstieg.md") + "\nMein **neuer** Satz.\n"
    stale = client.post(url, data={"text": typed, "revision": draft.revision - 1}, headers=EN)
    assert stale.status_code == 409
    assert "Mein <strong>neuer</strong> Satz." in stale.get_data(as_text=True)

    # A file with errors: no preview yet, and the page says when it comes.
    broken = "---\ntype: lesson\ntitle: Einstieg\nminutes: viele\n---\nText.\n"
    client.post(url, data={"text": broken, "revision": draft.revision})
    html = client.get(url, headers=EN).get_data(as_text=True)
    assert 'id="saved-problems"' in html  # the saved file's problems, shown by the server
    assert 'id="preview-waiting">The preview shows once the check finds no errors.' in html
    data = client.post(f"{url}/render", data={"text": broken}).get_json()
    assert data["ok"] is False  # the live preview keeps the last one and says so
    fixed = client.post(f"{url}/render", data={"text": broken.replace("viele", "5")}).get_json()
    assert fixed["ok"] is True and "Text." in fixed["html"]

    # A name no file may have: refused under the field, the text kept, no preview.
    named = client.post(
        "/author/drafts/testkurs/files/x.md", data={"text": typed, "revision": 0}, headers=EN
    )
    html = named.get_data(as_text=True)
    assert named.status_code == 422 and "two digits, a hyphen and a name" in html
    assert 'aria-describedby="text-error"' in html and "Mein **neuer** Satz." in html

    # course.md has no unit to preview: the page says where learners see it.
    course_md = client.get("/author/drafts/testkurs/files/course.md", headers=EN)
    html = course_md.get_data(as_text=True)
    assert 'data-render-url="' not in html and 'id="live-preview"' not in html
    assert 'href="/author/drafts/testkurs/preview"' in html
