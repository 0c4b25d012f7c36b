"""Hostile input: numbers the database cannot hold, dates out of range, control
characters, oversized course files.

A walk over every route of the app with a 20-digit number for every id, and over the
pages with query arguments set to such numbers and to far-away dates: nothing may
answer 500 (SQLite raises OverflowError, PostgreSQL "integer out of range"). Text
with NUL characters is stored without them (PostgreSQL refuses NUL in text). An
oversized course file is refused when it is saved, not only when it is checked.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.audit.service import Actor
from lms.content.frontmatter import MAX_FILE_BYTES
from lms.content.importer import import_course
from lms.models import Course, CourseDraft, DraftFile, ExternalRecord, User
from lms.people.importing import read_file
from lms.services import drafts
from tests.unit.test_course_parser import FULL_QUIZ, quiz, write_course
from tests.web.test_access import PUBLIC, methods, rules

EN = {"Accept-Language": "en"}
HUGE = "99999999999999999999"
# Ids are INTEGER: PostgreSQL holds at most 2**31 - 1 there.
JUST_TOO_LARGE = str(2**31)
AREA_OF = {"learn": "learner", "manage": "manager", "author": "trainer", "admin": "admin"}
# Every name a page reads from its query string, and more.
INT_ARGS = (
    "page", "course", "person", "department", "user", "unit", "from", "to", "company",
    "date", "version", "number", "id", "rule", "attempt",
)  # fmt: skip
DATE_ARGS = ("start", "end", "from", "to", "day", "date", "due_on")


@pytest.fixture
def course(app, db, tmp_path, world):
    folder = write_course(tmp_path, {"02-check.md": quiz(FULL_QUIZ, "pass_mark: 60\n")})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    course = db.scalar(select(Course).where(Course.slug == "testkurs"))
    drafts.set_editors(db, Actor.command(), course, [world.trainer], datetime.now(UTC))
    return course


@pytest.fixture
def clients(app, db, world, login, course):
    """A logged-in browser for each area's role (and an anonymous one for public
    pages); the learner has an open attempt, the trainer a draft."""
    users = {
        "learner": world.a.employees[0],
        "manager": world.a.manager,
        "trainer": world.trainer,
        "admin": world.admin,
    }
    world.a.company.managers_manage_people = True
    db.flush()
    browsers = {role: login(user, target=app.test_client()) for role, user in users.items()}
    browsers["anonymous"] = app.test_client()
    learner = browsers["learner"]
    assert learner.post("/learn/courses/testkurs/enroll").status_code == 302
    assert learner.post("/learn/courses/testkurs/check/attempts").status_code == 302
    assert browsers["trainer"].post("/author/courses/testkurs/draft").status_code == 302
    return browsers


def _role(rule) -> str:
    if rule.endpoint in PUBLIC:
        return "anonymous"
    return AREA_OF.get(rule.endpoint.split(".")[0], "manager")


def _path(rule, values, default_text="x"):
    path = rule.rule
    for arg in rule.arguments:
        path = path.replace(f"<int:{arg}>", str(values.get(arg, HUGE)))
        path = path.replace(f"<path:{arg}>", str(values.get(arg, default_text)))
        path = path.replace(f"<{arg}>", str(values.get(arg, default_text)))
    return path


def _own_values(world):
    return {
        "user_id": world.a.employees[0].id,
        "company_id": world.a.company.id,
        "slug": "testkurs",
        "unit_id": "check",
        "number": 1,
        "kind": "csv",
        "path": "01-einstieg.md",
        "asset_path": "assets/bild.png",
        "base": "01-einstieg",
    }


def test_every_route_answers_404_to_an_id_the_database_cannot_hold(app, clients, world):
    """A 20-digit number, or 2**31 (too large for PostgreSQL's INTEGER), in any id."""
    own = _own_values(world)
    checked = 0
    for rule in rules(app):
        numbers = [a for a in rule.arguments if f"<int:{a}>" in rule.rule]
        if not numbers:
            continue
        for huge in (HUGE, JUST_TOO_LARGE):
            for method in methods(rule):
                values = {k: v for k, v in own.items() if k not in numbers}
                values.update(dict.fromkeys(numbers, huge))
                path = _path(rule, values)
                response = clients[_role(rule)].open(path, method=method)
                # 405 where another rule of the same address takes other methods:
                # Werkzeug checks the method before it converts the number.
                assert response.status_code in (404, 405), (method, path, response.status_code)
                checked += 1
    assert checked > 50


def test_the_largest_id_the_database_holds_is_looked_up(client, world, login):
    login(world.a.manager)
    assert client.get(f"/team/people/{2**31 - 1}").status_code == 404
    assert client.get(f"/team/people/{world.a.employees[0].id}").status_code == 200


def test_a_control_character_in_an_address_matches_no_route(app, clients, world):
    """NUL in a short name, token, code or path: 404, never a query PostgreSQL refuses."""
    own = _own_values(world)
    checked = 0
    for rule in [*rules(app), app.url_map._rules_by_endpoint["static"][0]]:
        texts = [a for a in rule.arguments if f"<int:{a}>" not in rule.rule]
        if not texts or "GET" not in rule.methods:
            continue
        for arg in texts:
            values = {k: v for k, v in own.items() if k != arg}
            values.update({k: 1 for k in rule.arguments if f"<int:{k}>" in rule.rule})
            path = _path(rule, {**values, arg: "a%00b"})
            response = clients[_role(rule)].get(path)
            assert response.status_code == 404, (path, response.status_code)
            checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    "query",
    # Each page reads only its own arguments, so one walk sends several kinds at once.
    [
        # Names in both lists (from, to, date) take the later value.
        {**dict.fromkeys(DATE_ARGS, "9999-12-31"), **dict.fromkeys(INT_ARGS, HUGE)},
        {**dict.fromkeys(INT_ARGS, JUST_TOO_LARGE), **dict.fromkeys(DATE_ARGS, "0001-01-01")},
        {
            **dict.fromkeys(INT_ARGS, str(2**31 - 1)),  # held, and a page that far is empty
            **dict.fromkeys(("from", "to", "date"), "9999-12-31"),
            "q": "a\x00b",
            "status": "\x00",
            "action": "x\x00",
            "lang": "\x00",
        },
        {"course": HUGE, "start": "9999-12-31", "end": "9999-12-31", "format": "csv"},
        {"course": HUGE, "start": "0001-01-01", "end": "9999-12-31", "format": "pdf"},
    ],
    ids=["20-digits-year-9999", "2**31-year-1", "2**31-1-nul", "proof-csv", "proof-pdf"],
)
def test_no_page_fails_on_query_arguments_out_of_range(app, clients, world, query):
    own = _own_values(world)
    own.update(rule_id=1, assignment_id=1, record_id=1, session_id=1, booking_id=1,
               completion_id=1, step=1)  # fmt: skip
    for rule in rules(app):
        if "GET" not in rule.methods or rule.endpoint in PUBLIC:
            continue
        path = _path(rule, own)
        response = clients[_role(rule)].get(path, query_string=query)
        assert response.status_code < 500, (path, query, response.status_code)


def test_pages_read_an_unfit_number_as_not_given(clients, world):
    """A page number or filter beyond what the database holds: the first page, no filter."""
    manager, admin = clients["manager"], clients["admin"]
    for page in ("/team/", "/team/people", "/team/audit"):
        response = manager.get(page, query_string={"page": HUGE, "department": HUGE}, headers=EN)
        assert response.status_code == 200, page
    assert world.a.employees[0].display_name in manager.get(
        "/team/", query_string={"course": HUGE, "page": JUST_TOO_LARGE}
    ).get_data(as_text=True)
    company = world.a.company.id
    assert admin.get(f"/admin/companies/{company}/access-log?page={HUGE}").status_code == 200
    diff = clients["trainer"].get(f"/author/courses/testkurs/diff?from={HUGE}&to={HUGE}")
    assert diff.status_code == 200  # the last two versions, as without them


def test_a_form_posting_an_unfit_id_changes_nothing(db, clients, world):
    """Ids in posted lists (companies a trainer serves) beyond what the database holds
    are left out, as malformed ones are."""
    admin = clients["admin"]
    trainer = world.trainer
    response = admin.post(
        f"/admin/staff/{trainer.id}/roles",
        data={"trainer": "y", "company": [HUGE, str(world.b.company.id)]},
    )
    assert response.status_code == 302
    db.refresh(trainer)
    assert [c.id for c in trainer.trainer_companies] == [world.b.company.id]
    merge = admin.post(
        f"/admin/companies/{world.a.company.id}/departments/{world.a.departments[0].id}/merge",
        data={"into": HUGE},
    )
    assert merge.status_code == 302


# --- Dates --------------------------------------------------------------------------------


def test_a_date_outside_the_years_1900_to_2100_is_a_form_error(db, clients, world):
    manager = clients["manager"]
    person = world.a.employees[0]
    record = {"title": "Erste Hilfe", "completed_on": "2025-01-10", "course": "0"}
    for valid_until in ("9999-12-31", "2101-01-01"):
        response = manager.post(
            f"/team/people/{person.id}/records/new",
            data={**record, "valid_until": valid_until},
            headers=EN,
        )
        assert response.status_code == 422, valid_until
        page = response.get_data(as_text=True)
        assert "Please enter a date between Jan 1, 1900 and Dec 31, 2100." in page
        assert f'value="{valid_until}"' in page  # what was typed stays
    assert db.scalar(select(func.count()).select_from(ExternalRecord)) == 0
    period = manager.get("/team/completions?start=0001-01-01&end=2026-01-01", headers=EN)
    assert period.status_code == 422
    assert "Please enter a date between" in period.get_data(as_text=True)
    kept = manager.post(
        f"/team/people/{person.id}/records/new",
        data={**record, "valid_until": "2100-12-31"},
    )
    assert kept.status_code == 302


def test_an_imported_record_dated_in_the_year_9999_is_a_problem_of_its_line(db, clients, world):
    person = world.a.employees[0]
    text = (
        f"E-Mail;Schulung;Datum;Gültig bis\r\n{person.email};Erste Hilfe;03.02.2025;31.12.9999\r\n"
    )
    response = clients["manager"].post(
        "/team/records/import",
        data={"file": (io.BytesIO(text.encode()), "nachweise.csv")},
        content_type="multipart/form-data",
        headers=EN,
    )
    assert response.status_code == 422
    assert "line 2: 31.12.9999 is not a date" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(ExternalRecord)) == 0


# --- Control characters -------------------------------------------------------------------


def test_nul_and_control_characters_are_removed_from_what_is_stored(db, clients, world):
    """On SQLite the NUL would be stored; PostgreSQL refuses it (500). Tabs and line
    breaks are kept where they belong (a comment)."""
    learner = clients["learner"]
    response = learner.post(
        "/profile", data={"display_name": "Anna\x00 Bei\x1bspiel", "language": "de"}
    )
    assert response.status_code == 302
    db.refresh(world.a.employees[0])
    assert world.a.employees[0].display_name == "Anna Beispiel"
    # A name read from the form directly, not through a form class.
    response = clients["admin"].post(
        "/admin/staff",
        data={"display_name": "Tina\x00 Technik", "email": "tina\x00@example.com", "trainer": "y"},
    )
    assert response.status_code == 302
    added = db.scalar(select(User).where(User.email == "tina@example.com"))
    assert added is not None and added.display_name == "Tina Technik"
    # The draft editor's live check takes the typed text as form data.
    check = clients["trainer"].post(
        "/author/drafts/testkurs/files/01-einstieg.md/check", data={"text": "a\x00b\tc\r\nd"}
    )
    assert check.status_code == 200


def test_a_people_file_in_utf16_with_a_nul_is_refused():
    """UTF-16 files were read without the check for control characters other files get."""
    text = "E-Mail;Vorname;Nachname\r\nanna@example.com;An\x00na;Beispiel\r\n"
    result = read_file(text.encode("utf-16"), "people.csv")
    assert [(p.line, p.code) for p in result.problems] == [(0, "not-a-table")]
    assert result.rows == []


# --- Oversized course files ---------------------------------------------------------------


def _big_text(size: int = MAX_FILE_BYTES + 1024) -> str:
    """A unit's Markdown just over the limit; text that packs like text (no ZIP bomb)."""
    lines = ["---", "type: lesson", "title: Groß", "---", ""]
    length, number = 0, 0
    while length < size:
        number += 1
        line = f"Absatz {number}: Sicher arbeiten heißt {number * 7919 % 10007} Mal prüfen."
        lines.append(line)
        length += len(line.encode()) + 1
    return "\n".join(lines) + "\n"


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode())
    return buffer.getvalue()


def _draft_files(db, slug):
    return dict(
        db.execute(
            select(DraftFile.path, DraftFile.size)
            .join(CourseDraft, CourseDraft.id == DraftFile.draft_id)
            .where(CourseDraft.slug == slug)
        ).all()
    )


def test_a_unit_file_over_512_kib_in_a_zip_is_refused_and_nothing_is_stored(db, clients, world):
    trainer = clients["trainer"]
    big = _zip({"course.md": "---\ntitle: Groß\n---\nText.\n", "01-gross.md": _big_text()})
    response = trainer.post(
        "/author/drafts/upload",
        data={"file": (io.BytesIO(big), "kurs.zip"), "slug": "gross"},
        content_type="multipart/form-data",
        headers=EN,
        follow_redirects=True,
    )
    assert "01-gross.md is larger than 512 KiB" in response.get_data(as_text=True)
    assert db.scalar(select(CourseDraft).where(CourseDraft.slug == "gross")) is None
    # Over an existing draft: its files stay as they were.
    before = _draft_files(db, "testkurs")
    revision = db.scalar(select(CourseDraft.revision).where(CourseDraft.slug == "testkurs"))
    response = trainer.post(
        "/author/drafts/testkurs/upload",
        data={"file": (io.BytesIO(big), "kurs.zip"), "revision": revision},
        content_type="multipart/form-data",
        headers=EN,
        follow_redirects=True,
    )
    assert "01-gross.md is larger than 512 KiB" in response.get_data(as_text=True)
    db.expire_all()
    assert _draft_files(db, "testkurs") == before
    assert db.scalar(select(CourseDraft.revision).where(CourseDraft.slug == "testkurs")) == revision


def test_an_oversized_file_saved_in_the_editor_is_refused_and_the_text_kept(
    app, db, clients, world
):
    # Flask refuses form fields over 500,000 bytes (413) by default; an install may allow more.
    app.config["MAX_FORM_MEMORY_SIZE"] = 2 * MAX_FILE_BYTES
    before = _draft_files(db, "testkurs")
    revision = db.scalar(select(CourseDraft.revision).where(CourseDraft.slug == "testkurs"))
    text = _big_text()
    response = clients["trainer"].post(
        "/author/drafts/testkurs/files/01-einstieg.md",
        data={"text": text, "revision": revision},
        headers=EN,
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "01-einstieg.md is larger than 512 KiB" in page
    assert text.splitlines()[-1] in page  # what was typed is still in the editor
    db.expire_all()
    assert _draft_files(db, "testkurs") == before


def test_the_draft_service_refuses_oversized_files_on_every_save(db, world, course):
    now = datetime.now(UTC)
    draft = drafts.draft_from_version(db, course, world.trainer, now)
    with pytest.raises(drafts.DraftError) as refused:
        drafts.save_text(
            db, draft, "01-einstieg.md", _big_text(), draft.revision, world.trainer, now
        )
    assert (refused.value.code, refused.value.path) == ("file-too-large", "01-einstieg.md")
    files = {"course.md": b"---\ntitle: X\n---\n", "assets/film.mp4": b"0" * (20 * 1024 * 1024 + 1)}
    with pytest.raises(drafts.DraftError) as refused:
        drafts.replace_files(db, draft, files, draft.revision, world.trainer, now)
    assert (refused.value.code, refused.value.path) == ("asset-too-large", "assets/film.mp4")
    with pytest.raises(drafts.DraftError):
        drafts.create_draft(
            db, "neu-gross", {"course.md": _big_text().encode()}, world.trainer, now
        )
    exactly = _big_text(MAX_FILE_BYTES - 200).encode()[:MAX_FILE_BYTES]
    drafts.save_text(
        db, draft, "01-einstieg.md", exactly.decode(), draft.revision, world.trainer, now
    )
