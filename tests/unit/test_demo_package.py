"""The demo course's package is built from its sources in courses/_package-sources/."""

from __future__ import annotations

from pathlib import Path

from lms.content.archive import files_from_folder, write_course_zip
from lms.packages.reading import read_package

COURSES = Path(__file__).resolve().parents[2] / "courses"
SOURCES = COURSES / "_package-sources" / "brandschutz-kurz"
PACKAGE = COURSES / "brandschutz-unterweisung" / "packages" / "brandschutz-kurz.zip"


def test_the_committed_zip_holds_exactly_its_sources():
    # A changed source without a new ZIP (or the other way round) fails here; rebuild with
    # write_course_zip(files_from_folder(SOURCES)), as docs/course-format.md says.
    assert PACKAGE.read_bytes() == write_course_zip(files_from_folder(SOURCES))


def test_the_demo_package_is_scorm_2004_passed_at_80_percent():
    spec, files = read_package(PACKAGE.read_bytes(), "packages/brandschutz-kurz.zip")
    assert spec.standard == "scorm2004"
    assert spec.identifier == "de.lernwerk.demo.brandschutz-kurz"
    assert [(item.id, item.href, str(item.passing_score)) for item in spec.items] == [
        ("brandschutz", "index.html", "0.8")
    ]
    assert set(files) == {"imsmanifest.xml", "index.html", "kurs.css", "kurs.js"}
