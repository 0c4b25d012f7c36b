"""Package units in a course folder: checked with the package's own file and line,
imported with the package's files kept per version, translated with their own ZIP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.content import archive
from lms.content.archive import ArchiveError, read_course_zip
from lms.content.importer import ImportStatus, import_course
from lms.content.parser import parse_course
from lms.content.spec import PackageStandard, UnitType
from lms.models import PackageFile
from lms.packages import reading
from tests.unit.test_course_archive import course_zip
from tests.unit.test_course_parser import write_course
from tests.unit.test_i18n import german_catalog
from tests.unit.test_package_reading import SCORM12, make_zip, scorm12_files
from tests.unit.test_package_storage import package_file

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)

PACKAGE_UNIT = """\
---
type: package
title: Brandschutz – Grundlagen
minutes: 20
package: packages/brandschutz.zip
---
Der Kurs des Verlags: **zwei** Teile.
"""


@pytest.fixture
def ctx(app):
    with app.test_request_context(headers={"Accept-Language": "en"}), force_locale("en"):
        yield


def course_with_package(tmp_path, extra=None, package=None):
    files = {
        "02-brandschutz.md": PACKAGE_UNIT,
        "packages/brandschutz.zip": package or make_zip(scorm12_files()),
    }
    files.update(extra or {})
    return write_course(tmp_path, files)


def test_a_package_unit_becomes_part_of_the_spec(tmp_path, ctx):
    result = parse_course(course_with_package(tmp_path))
    assert result.ok, [p.format() for p in result.problems]
    unit = result.spec.main_units[1]
    assert (unit.type, unit.title, unit.minutes) == (
        UnitType.PACKAGE,
        "Brandschutz – Grundlagen",
        20,
    )
    assert unit.body == "Der Kurs des Verlags: **zwei** Teile."
    assert unit.package.standard is PackageStandard.SCORM12
    assert unit.package.file == "packages/brandschutz.zip"
    assert [item.id for item in unit.package.items] == ["intro", "test"]


def test_a_broken_package_is_a_problem_of_the_unit_at_its_package_line(tmp_path, ctx):
    files = scorm12_files()
    del files["intro/index.html"]
    result = parse_course(course_with_package(tmp_path, package=make_zip(files)))
    assert not result.ok
    (problem,) = result.problems
    assert (problem.path, problem.line, problem.code) == (
        "testkurs/02-brandschutz.md",
        5,
        "package-problem",
    )
    assert problem.format() == (
        "testkurs/02-brandschutz.md:5: packages/brandschutz.zip: imsmanifest.xml, line 27: "
        "The launch file intro/index.html of intro is not in the package. "
        "Put the file into the ZIP file, or correct the path (upper and lower case count)."
    )


def test_a_package_that_is_no_zip_names_only_the_package(tmp_path, ctx):
    result = parse_course(course_with_package(tmp_path, package=b"kein zip"))
    (problem,) = result.problems
    assert problem.format().startswith(
        "testkurs/02-brandschutz.md:5: packages/brandschutz.zip: "
        "The package is not a ZIP file, or it is damaged."
    )


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("package: brandschutz.zip", "package-path"),
        ("package: packages/../course.md", "package-path"),
        ("package: packages/brandschutz.pdf", "package-path"),
        ("package: packages/fehlt.zip", "package-file-missing"),
        ("", "missing-key"),
    ],
)
def test_the_package_key_must_name_a_zip_under_packages(tmp_path, ctx, line, code):
    unit = PACKAGE_UNIT.replace("package: packages/brandschutz.zip", line)
    result = parse_course(course_with_package(tmp_path, {"02-brandschutz.md": unit}))
    assert [p.code for p in result.problems] == [code]


def test_the_package_key_belongs_to_package_units_only(tmp_path, ctx):
    lesson = "---\ntype: lesson\ntitle: L\npackage: packages/brandschutz.zip\n---\nText\n"
    result = parse_course(course_with_package(tmp_path, {"03-text.md": lesson}))
    assert [(p.path, p.line, p.code) for p in result.problems] == [
        ("testkurs/03-text.md", 4, "unknown-key-no-suggestion")
    ]


def package_files(db, version):
    return db.scalar(
        select(func.count()).select_from(PackageFile).where(PackageFile.version_id == version.id)
    )


def test_a_course_with_a_package_is_imported_end_to_end(tmp_path, db, ctx):
    folder = course_with_package(tmp_path)
    outcome = import_course(db, folder, NOW)
    assert outcome.status is ImportStatus.CREATED, [p.format() for p in outcome.problems]
    version = outcome.version
    assert package_files(db, version) == 4
    assert package_file(db, version.id, "packages/brandschutz.zip", "intro/index.html") == (
        "text/html; charset=utf-8",
        b"<html>Intro</html>",
    )  # the player's way (tests/unit/test_package_storage.py)
    stored = version.spec["units"]["de"][1]["package"]
    assert stored["standard"] == "scorm12" and stored["identifier"] == "brandschutz-12"
    assert stored["items"][1]["passing_score"] == "0.8"
    assert stored["items"][1]["move_on"] == "Passed"
    rendered = version.rendered["units"]["de"][1]
    assert rendered["type"] == "package" and rendered["package"] == stored
    assert "<strong>zwei</strong>" in rendered["html"]
    assert "package" not in version.rendered["units"]["de"][0]  # other units as they were

    again = import_course(db, folder, NOW)
    assert again.status is ImportStatus.UNCHANGED and again.version.id == version.id

    changed = scorm12_files(SCORM12.replace('version="3"', 'version="4"'))
    (folder / "packages" / "brandschutz.zip").write_bytes(make_zip(changed))
    newer = import_course(db, folder, NOW)
    assert newer.status is ImportStatus.CREATED and newer.version.number == 2
    assert newer.version.spec["units"]["de"][1]["package"]["version"] == "4"
    assert package_files(db, newer.version) == 4 and package_files(db, version) == 4


def test_a_broken_package_imports_nothing(tmp_path, db, ctx):
    outcome = import_course(db, course_with_package(tmp_path, package=b"kein zip"), NOW)
    assert outcome.status is ImportStatus.FAILED
    assert db.scalar(select(func.count()).select_from(PackageFile)) == 0


def test_a_translation_may_name_its_own_edition(tmp_path, db, ctx):
    english = scorm12_files(SCORM12.replace("Einführung", "Introduction"))
    translation = (
        PACKAGE_UNIT.replace("Brandschutz – Grundlagen", "Fire safety")
        .replace("brandschutz.zip", "fire-safety.zip")
        .replace("Der Kurs des Verlags", "The publisher's course")
    )
    folder = course_with_package(
        tmp_path,
        {"02-brandschutz.en.md": translation, "packages/fire-safety.zip": make_zip(english)},
    )
    version = import_course(db, folder, NOW).version
    assert version is not None
    german, english_unit = (version.rendered["units"][lang][1] for lang in ("de", "en"))
    assert german["package"]["file"] == "packages/brandschutz.zip"
    assert english_unit["package"]["file"] == "packages/fire-safety.zip"
    assert english_unit["package"]["items"][0]["title"] == "Introduction"
    stored = {
        package
        for (package,) in db.execute(
            select(PackageFile.package).where(PackageFile.version_id == version.id).distinct()
        )
    }
    assert stored == {"packages/brandschutz.zip", "packages/fire-safety.zip"}


def test_a_translation_without_a_package_plays_the_original(tmp_path, ctx):
    translation = "---\ntype: package\ntitle: Fire safety\nminutes: 20\n---\nThe course.\n"
    result = parse_course(course_with_package(tmp_path, {"02-brandschutz.en.md": translation}))
    assert result.ok, [p.format() for p in result.problems]
    english = result.spec.unit_in("brandschutz", "en")
    assert english.title == "Fire safety"
    assert english.package == result.spec.main_units[1].package


def test_a_translated_edition_must_have_the_same_items(tmp_path, ctx):
    other = scorm12_files(SCORM12.replace('identifier="test"', 'identifier="exam"'))
    translation = PACKAGE_UNIT.replace("brandschutz.zip", "fire-safety.zip")
    folder = course_with_package(
        tmp_path, {"02-brandschutz.en.md": translation, "packages/fire-safety.zip": make_zip(other)}
    )
    (problem,) = parse_course(folder).problems
    assert (problem.path, problem.line, problem.code) == (
        "testkurs/02-brandschutz.en.md",
        5,
        "package-items-differ",
    )
    assert problem.message() == (
        "The package of this translation has the items intro, exam, the original's intro, test."
    )


def test_the_same_zip_for_several_units_is_read_once(tmp_path, ctx, monkeypatch):
    calls = []
    real = reading.read_package
    monkeypatch.setattr(reading, "read_package", lambda *a: calls.append(a[1]) or real(*a))
    second = PACKAGE_UNIT.replace("Brandschutz – Grundlagen", "Wiederholung")
    result = parse_course(course_with_package(tmp_path, {"03-wiederholung.md": second}))
    assert result.ok and calls == ["packages/brandschutz.zip"]


def test_courses_check_prints_package_problems_with_file_and_line(app, tmp_path):
    files = scorm12_files(SCORM12.replace("<adlcp:masteryscore>80<", "<adlcp:masteryscore>800<"))
    folder = course_with_package(tmp_path, package=make_zip(files))
    result = app.test_cli_runner().invoke(args=["courses", "check", str(folder), "--lang", "en"])
    assert result.exit_code == 1
    assert (
        "testkurs/02-brandschutz.md:5: packages/brandschutz.zip: imsmanifest.xml, line 20: "
        "adlcp:masteryscore 800 is not a number from 0 to 100."
    ) in result.output


def test_a_course_zip_may_hold_packages_with_a_limit_of_their_own(monkeypatch):
    package = make_zip(scorm12_files())
    files = read_course_zip(course_zip(("packages/brandschutz.zip", package)))
    assert files["packages/brandschutz.zip"] == package
    # Packages do not use up the course's own limit, and have their own.
    monkeypatch.setattr(archive, "MAX_UNPACKED", 1000)
    assert "packages/brandschutz.zip" in read_course_zip(
        course_zip(("packages/brandschutz.zip", package))
    )
    monkeypatch.setattr(archive, "MAX_PACKAGES", len(package) - 1)
    with pytest.raises(ArchiveError) as refused:
        read_course_zip(course_zip(("packages/brandschutz.zip", package)))
    assert refused.value.code == "too-large"


@pytest.mark.parametrize("name", ["packages/a/b.zip", "packages/b.tar", "b.zip"])
def test_only_zips_directly_in_packages_are_packages(name):
    with pytest.raises(ArchiveError) as refused:
        read_course_zip(course_zip((name, b"PK")))
    assert refused.value.code == "file-type"


def german_translation_of(msgid: str) -> str:
    entry = german_catalog().get(msgid)
    return entry.string if entry is not None and isinstance(entry.string, str) else ""


@pytest.mark.skipif(
    not german_translation_of("The launch file %(path)s of %(id)s is not in the package."),
    reason="the package problems' German translations are not in the catalogue yet",
)
def test_package_problems_read_in_german(app, tmp_path):
    files = scorm12_files()
    del files["intro/index.html"]
    folder = course_with_package(tmp_path, package=make_zip(files))
    with app.test_request_context(), force_locale("de"):
        (problem,) = parse_course(folder).problems
        assert problem.format() == (
            "testkurs/02-brandschutz.md:5: packages/brandschutz.zip: imsmanifest.xml, Zeile 27: "
            "Die Startdatei intro/index.html von intro fehlt im Paket. "
            "Legen Sie die Datei in die ZIP-Datei oder korrigieren Sie den Pfad "
            "(Groß- und Kleinschreibung zählen)."
        )
