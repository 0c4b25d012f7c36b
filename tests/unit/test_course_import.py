"""Versioned import: new content makes a version, unchanged none, a broken course none."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.content.importer import ImportStatus, content_hash, import_course, source_files
from lms.models import AssetBlob, Course, CourseVersion, VersionAsset
from tests.unit.test_course_parser import FULL_QUIZ, quiz, write_course

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def versions(db, slug="testkurs"):
    return db.scalars(
        select(CourseVersion).join(Course).where(Course.slug == slug).order_by(CourseVersion.number)
    ).all()


def test_first_import_creates_version_one_with_rendered_html_and_assets(tmp_path, db, ctx):
    folder = write_course(tmp_path, {"02-check.md": quiz(FULL_QUIZ)})
    outcome = import_course(db, folder, NOW)
    assert outcome.status is ImportStatus.CREATED
    version = outcome.version
    assert (version.number, version.title, version.valid_for, version.unit_count) == (
        1,
        "Testkurs",
        "12 months",
        2,
    )
    lesson = version.rendered["units"]["de"][0]
    assert "<h2>Worum es geht</h2>" in lesson["html"]
    assert f"/content/testkurs/{version.content_hash[:16]}/assets/bild.png" in lesson["html"]
    assert db.scalar(select(func.count()).select_from(VersionAsset)) == 1
    assert version.spec["slug"] == "testkurs"
    json.dumps(version.spec)  # storable as JSON


def test_unchanged_content_makes_no_new_version(tmp_path, db, ctx):
    folder = write_course(tmp_path, {})
    import_course(db, folder, NOW)
    outcome = import_course(db, folder, NOW)
    assert outcome.status is ImportStatus.UNCHANGED and outcome.version.number == 1
    assert len(versions(db)) == 1


def test_changed_content_makes_a_new_version_and_keeps_the_old(tmp_path, db, ctx):
    folder = write_course(tmp_path, {})
    first = import_course(db, folder, NOW).version
    lesson = folder / "01-einstieg.md"
    lesson.write_text(lesson.read_text() + "\nNeuer Absatz.\n")
    second = import_course(db, folder, NOW).version
    assert (first.number, second.number) == (1, 2)
    assert first.content_hash != second.content_hash
    assert "Neuer Absatz" not in first.rendered["units"]["de"][0]["html"]
    assert "Neuer Absatz" in second.rendered["units"]["de"][0]["html"]


def test_a_broken_course_is_not_imported_and_the_old_version_stays(tmp_path, db, ctx):
    folder = write_course(tmp_path, {})
    import_course(db, folder, NOW)
    (folder / "02-kaputt.md").write_text(quiz("## F? {#f}\n- ( ) a\n- ( ) b\n"))
    outcome = import_course(db, folder, NOW)
    assert outcome.status is ImportStatus.FAILED and outcome.version is None
    assert [p.code for p in outcome.problems] == ["no-correct-choice"]
    assert [v.number for v in versions(db)] == [1]


def test_answer_keys_stay_out_of_what_pages_show(tmp_path, db, ctx):
    folder = write_course(tmp_path, {"02-check.md": quiz(FULL_QUIZ)})
    rendered = import_course(db, folder, NOW).version.rendered
    public = json.dumps(rendered["units"])
    assert "correct" not in public and "Richtig." not in public and "tolerance" not in public
    questions = {q["id"]: q for q in rendered["units"]["de"][1]["questions"]}
    assert questions["schritte"]["items"] == sorted(["Nicht öffnen", "Melden", "Löschen"])
    assert "E-Mail" not in json.dumps(questions["luecke"])  # text gap answers stay secret
    review = rendered["review"]["de"]["laenge"]
    assert review["choice_feedback_html"][1] == "Richtig."


def test_identical_assets_are_stored_once(tmp_path, db, ctx):
    import hashlib

    folder = write_course(tmp_path, {})
    import_course(db, folder, NOW)
    contents = set(source_files(folder).values())
    (folder / "01-einstieg.md").write_text((folder / "01-einstieg.md").read_text() + "\nMehr.\n")
    import_course(db, folder, NOW)
    contents |= set(source_files(folder).values())
    shas = {hashlib.sha256(data).hexdigest() for data in contents}
    assert db.scalar(select(func.count(func.distinct(VersionAsset.sha256)))) == 1
    assert db.scalar(select(func.count()).select_from(VersionAsset)) == 2
    # Every distinct file is stored once: the asset and course.md shared by both
    # versions, and the two states of the unit.
    assert len(shas) == 4
    assert db.scalar(select(func.count()).where(AssetBlob.sha256.in_(shas))) == 4


def test_each_version_keeps_its_source_files(tmp_path, db, ctx):
    from lms.content.importer import files_hash, version_sources

    folder = write_course(tmp_path, {})
    first = import_course(db, folder, NOW).version
    before = source_files(folder)
    (folder / "01-einstieg.md").write_text((folder / "01-einstieg.md").read_text() + "\nMehr.\n")
    second = import_course(db, folder, NOW).version
    assert version_sources(db, first) == before
    assert version_sources(db, second) == source_files(folder)
    assert files_hash(version_sources(db, first)) == first.content_hash


def test_content_hash_sees_renames_and_asset_changes(tmp_path):
    folder = write_course(tmp_path, {})
    before = content_hash(folder)
    (folder / "assets" / "bild.png").write_bytes(b"anders")
    assert content_hash(folder) != before


def test_untranslated_units_fall_back_to_the_main_language(tmp_path, db, ctx):
    files = {
        "course.en.md": "---\ntitle: Test course\nsummary: Tests\n---\n",
        "02-check.md": quiz(FULL_QUIZ),
    }
    rendered = import_course(db, write_course(tmp_path, files), NOW).version.rendered
    assert rendered["languages"] == ["de"]  # no unit translated: only the main language
    assert rendered["texts"]["de"]["title"] == "Testkurs"


def test_import_command_reports_each_course(app, db, tmp_path):
    write_course(tmp_path, {})
    write_course(tmp_path, {"02-x.md": "# kaputt\n"}, slug="kaputt")
    result = app.test_cli_runner().invoke(args=["courses", "import", str(tmp_path)])
    assert result.exit_code == 1
    assert "testkurs: imported as version 1." in result.output
    assert "kaputt/02-x.md:1:" in result.output and "kaputt: not imported" in result.output
    again = app.test_cli_runner().invoke(args=["courses", "import", str(tmp_path / "testkurs")])
    assert again.exit_code == 0 and "unchanged (version 1)" in again.output


def test_an_error_while_storing_leaves_nothing_half_imported(app, tmp_path, ctx, monkeypatch):
    from lms.content import importer
    from lms.db import db as handle

    folder = write_course(tmp_path, {})

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(importer, "_store_assets", broken)
    with pytest.raises(OSError), handle.begin() as session:
        import_course(session, folder, NOW)
    with app.app_context():
        assert handle.session.scalar(select(func.count()).select_from(Course)) == 0
        assert handle.session.scalar(select(func.count()).select_from(CourseVersion)) == 0


BILLION_LAUGHS = """---
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
title: *f
type: lesson
---
Text
"""

JUNK = [
    b"\xff\xfe\x00\x00" * 100,
    bytes(range(256)) * 4,
    b"---\n" * 50,
    b"---\ntype: lesson\ntitle: X\n---\n" + "\u202e\u0000".encode("utf-8"),
    BILLION_LAUGHS.encode(),
    b"---\ntype: !!python/object/apply:os.system ['echo pwned']\ntitle: x\n---\nText\n",
    b"---\n" + b"[" * 5000 + b"\n---\n",
    ("---\ntype: quiz\ntitle: Q\n---\n" + "## F {#f}\n[[" * 2000).encode(),
]


@pytest.mark.parametrize("content", JUNK, ids=range(len(JUNK)))
def test_malformed_files_are_refused_without_crashing(tmp_path, db, ctx, content):
    folder = write_course(tmp_path, {"02-junk.md": content})
    outcome = import_course(db, folder, NOW)
    assert outcome.status is ImportStatus.FAILED
    assert any(p.path == "testkurs/02-junk.md" for p in outcome.problems)
    assert db.scalar(select(func.count()).select_from(Course)) == 0
