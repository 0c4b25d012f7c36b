"""Admins decide which companies see each module; learners' catalogues and paths follow."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from lms.content.importer import catalogue, import_course
from lms.models import AuditEntry, Course
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}


def test_an_admin_opens_a_module_to_one_company_only_and_back(
    app, client, db, world, login, tmp_path
):
    with app.test_request_context():
        import_course(db, write_course(tmp_path, {}), datetime.now(UTC))
    course = db.scalar(select(Course))
    a, b = world.a.company, world.b.company
    login(world.admin)
    page = client.get("/admin/catalogue", headers=EN).get_data(as_text=True)
    assert "Testkurs" in page and a.name in page
    client.post(f"/admin/catalogue/{course.id}", data={"audience": "some", "company": [a.id]})
    assert [c.id for c, _v in catalogue(db, a.id)] == [course.id]
    assert catalogue(db, b.id) == []
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "catalogue.update"))
    assert entry.changes == {"shared": [True, False], "companies": [[], [a.id]]}
    client.post(f"/admin/catalogue/{course.id}", data={"audience": "all"})
    assert [c.id for c, _v in catalogue(db, b.id)] == [course.id]


def test_only_admins_change_the_catalogue(client, world, login):
    login(world.trainer)
    assert client.post("/admin/catalogue/1", data={"audience": "all"}).status_code == 403
