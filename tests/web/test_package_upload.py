"""A trainer uploads a package ZIP into a draft: checked on upload, its problems shown
and nothing kept when it is broken; a sound one is checked with its unit and published."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from lms.content.archive import CourseFiles, write_course_zip
from lms.models import CourseDraft, DraftFile, PackageFile
from tests.unit.test_course_parser import COURSE_MD, LESSON
from tests.unit.test_package_import import PACKAGE_UNIT
from tests.unit.test_package_reading import SCORM12, make_zip, scorm12_files

EN = {"Accept-Language": "en"}


def new_draft(client, login, world):
    login(world.trainer)
    client.post("/author/drafts", data={"title": "Brandschutz", "slug": "brandschutz"})
    return "/author/drafts/brandschutz"


def revision(db):
    db.expire_all()
    return db.scalar(select(CourseDraft.revision))


def draft_paths(db):
    return set(db.scalars(select(DraftFile.path)))


def upload(client, draft, data, name="Brandschutz Kurs.zip"):
    return client.post(
        f"{draft}/packages",
        data={"file": (io.BytesIO(data), name)},
        headers=EN,
        content_type="multipart/form-data",
    )


def test_a_sound_package_is_added_and_its_unit_checks_and_publishes(client, db, world, login):
    draft = new_draft(client, login, world)
    response = upload(client, draft, make_zip(scorm12_files()))
    assert response.status_code == 302
    assert "packages/brandschutz-kurs.zip" in draft_paths(db)
    page = client.get(draft, headers=EN).get_data(as_text=True)
    assert "packages/brandschutz-kurs.zip is added" in page
    # Binary files are listed, never linked to the text editor.
    assert f'href="{draft}/files/packages/brandschutz-kurs.zip"' not in page
    assert client.get(f"{draft}/files/packages/brandschutz-kurs.zip").status_code == 404

    unit = PACKAGE_UNIT.replace("brandschutz.zip", "brandschutz-kurs.zip")
    client.post(f"{draft}/files/03-brandschutz.md", data={"text": unit, "revision": revision(db)})
    page = client.get(draft, headers=EN).get_data(as_text=True)
    assert "No problems found" in page
    live = client.post(f"{draft}/files/03-brandschutz.md/check", data={"text": unit}, headers=EN)
    assert live.get_json()["problems"] == []

    client.post(f"{draft}/publish", data={"note": "", "revision": revision(db)})
    assert db.scalar(select(func.count()).select_from(PackageFile)) == 4


def test_a_broken_package_shows_its_problems_and_keeps_nothing(client, db, world, login):
    draft = new_draft(client, login, world)
    before = revision(db)
    files = scorm12_files(SCORM12.replace("<adlcp:masteryscore>80<", "<adlcp:masteryscore>x<"))
    del files["intro/index.html"]
    response = upload(client, draft, make_zip(files))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The package was not added" in page
    assert "<code>imsmanifest.xml:20</code>: adlcp:masteryscore x is not a number" in page
    assert (
        "<code>imsmanifest.xml:27</code>: The launch file intro/index.html of intro "
        "is not in the package."
    ) in page
    assert not any(p.startswith("packages/") for p in draft_paths(db))
    assert revision(db) == before


def test_not_a_zip_and_a_wrong_name_are_refused(client, db, world, login):
    draft = new_draft(client, login, world)
    response = upload(client, draft, b"%PDF-1.7", name="kurs.zip")
    assert response.status_code == 422
    assert "The package is not a ZIP file" in response.get_data(as_text=True)
    response = upload(client, draft, make_zip(scorm12_files()), name="kurs.pdf")
    page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    assert "A package is a ZIP file (SCORM 1.2, SCORM 2004 or cmi5)." in page
    assert not any(p.startswith("packages/") for p in draft_paths(db))


def test_a_unit_naming_a_missing_package_is_a_problem_of_the_draft(client, db, world, login):
    draft = new_draft(client, login, world)
    client.post(
        f"{draft}/files/03-brandschutz.md", data={"text": PACKAGE_UNIT, "revision": revision(db)}
    )
    page = client.get(draft, headers=EN).get_data(as_text=True)
    assert "The package packages/brandschutz.zip does not exist." in page
    assert "03-brandschutz.md:5" in page


def test_a_course_zip_with_a_package_becomes_a_draft_that_publishes(client, db, world, login):
    files = CourseFiles(
        {
            "kurs/course.md": COURSE_MD.encode(),
            "kurs/01-einstieg.md": LESSON.replace("![Ein Diagramm](assets/bild.png)", "").encode(),
            "kurs/02-brandschutz.md": PACKAGE_UNIT.encode(),
            "kurs/packages/brandschutz.zip": make_zip(scorm12_files()),
        }
    )
    login(world.trainer)
    response = client.post(
        "/author/drafts/upload",
        data={"file": (io.BytesIO(write_course_zip(files)), "kurs.zip")},
        content_type="multipart/form-data",
    )
    assert response.headers["Location"].endswith("/author/drafts/kurs")
    page = client.get("/author/drafts/kurs", headers=EN).get_data(as_text=True)
    assert "No problems found" in page and "packages/brandschutz.zip" in page
    client.post("/author/drafts/kurs/publish", data={"note": "", "revision": revision(db)})
    assert db.scalar(select(func.count()).select_from(PackageFile)) == 4
