"""External training records: recorded by a manager or an admin, uploaded by a learner and
confirmed or rejected, counted in the matrix and the proof of instruction, imported from
a spreadsheet with a dry run, and their scans shown only to those allowed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.clock import today
from lms.content.importer import import_course
from lms.models import AuditEntry, Course, ExternalRecord
from lms.services import assignments
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def course(app, db, tmp_path):
    folder = write_course(tmp_path, {})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


def assign(db, setup, course, people):
    due = today() + timedelta(days=30)
    assignments.assign_to_people(db, setup.manager, course, people, due, "", datetime.now(UTC))


def entries(db, action):
    return db.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def form(course_id=0, file=None, **changes):
    data = {
        "title": "Erste Hilfe",
        "provider": "DRK Kreisverband",
        "completed_on": (today() - timedelta(days=10)).isoformat(),
        "valid_until": (today() + timedelta(days=700)).isoformat(),
        "course": str(course_id),
    }
    data.update(changes)
    if file is not None:
        data["proof"] = (io.BytesIO(file[1]), file[0])
    return data


def matrix_row(client, person):
    page = client.get("/team/", headers=EN).get_data(as_text=True)
    start = page.index(f"{person.display_name}</a></th>")
    return page[start : page.index("</tr>", start)]


def test_a_manager_records_a_training_that_counts_for_the_module(client, db, world, login, course):
    a = world.a
    person = a.employees[0]
    assign(db, a, course, [person])
    login(a.manager)
    assert "not started" in matrix_row(client, person)

    response = client.post(
        f"/team/people/{person.id}/records/new",
        data=form(course.id, ("erste-hilfe.pdf", PDF)),
        headers=EN,
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    record = db.scalar(select(ExternalRecord).where(ExternalRecord.user_id == person.id))
    assert record.status == "confirmed" and record.file_type == "application/pdf"
    row = matrix_row(client, person)
    assert "completed" in row and "external" in row
    person_page = client.get(f"/team/people/{person.id}", headers=EN).get_data(as_text=True)
    assert "Erste Hilfe" in person_page and "DRK Kreisverband" in person_page
    # Exactly one audit entry, with what was recorded.
    (entry,) = entries(db, "record.add")
    assert entry.changes["title"] == [None, "Erste Hilfe"]
    assert entry.company_id == a.company.id


def test_a_training_done_today_counts_for_a_retake_started_today(client, db, world, login, course):
    a = world.a
    person = a.employees[0]
    due = today() + timedelta(days=30)
    assignments.assign_to_people(
        db, a.manager, course, [person], due, "", datetime.now(UTC), retake=True
    )
    login(a.manager)
    assert "not started" in matrix_row(client, person)
    done_today = form(course.id, ("erste-hilfe.pdf", PDF), completed_on=today().isoformat())
    sent = client.post(
        f"/team/people/{person.id}/records/new", data=done_today, content_type="multipart/form-data"
    )
    assert sent.status_code == 302
    row = matrix_row(client, person)
    assert "completed" in row and "external" in row


def test_an_expired_external_record_shows_as_expired(client, db, world, login, course):
    a = world.a
    person = a.employees[0]
    assign(db, a, course, [person])
    login(a.manager)
    old = form(
        course.id,
        completed_on=(today() - timedelta(days=800)).isoformat(),
        valid_until=(today() - timedelta(days=1)).isoformat(),
    )
    client.post(f"/team/people/{person.id}/records/new", data=old)
    assert "expired" in matrix_row(client, person)


def test_a_learner_uploads_a_proof_and_the_manager_confirms_it(
    app, client, other_client, db, world, login, course
):
    a = world.a
    learner = a.employees[0]
    assign(db, a, course, [learner])
    login(learner)
    page = client.get("/learn/records", headers=EN).get_data(as_text=True)
    assert "Upload a proof" in page
    response = client.post(
        "/learn/records",
        data=form(course.id, ("foto.png", PNG)),
        headers=EN,
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    record = db.scalar(select(ExternalRecord).where(ExternalRecord.user_id == learner.id))
    assert record.status == "pending"
    assert "waiting for confirmation" in client.get("/learn/records", headers=EN).get_data(
        as_text=True
    )

    manager = login(a.manager, target=other_client)
    # Pending proofs do not count yet.
    assert "not started" in matrix_row(manager, learner)
    listing = manager.get("/team/records", headers=EN).get_data(as_text=True)
    assert "Waiting for your confirmation" in listing and "Erste Hilfe" in listing
    response = manager.post(f"/team/records/{record.id}/decide", data={"decision": "confirm"})
    assert response.status_code == 302
    db.refresh(record)
    assert record.status == "confirmed" and record.decided_by_id == a.manager.id
    assert "completed" in matrix_row(manager, learner)
    assert len(entries(db, "record.submit")) == 1 and len(entries(db, "record.confirm")) == 1
    # Deciding twice changes nothing.
    manager.post(f"/team/records/{record.id}/decide", data={"decision": "reject"})
    db.refresh(record)
    assert record.status == "confirmed" and len(entries(db, "record.reject")) == 0


def test_a_rejected_proof_shows_the_reason_to_the_learner(
    client, other_client, db, world, login, course
):
    a = world.a
    learner = a.employees[0]
    login(learner)
    client.post(
        "/learn/records",
        data=form(file=("scan.pdf", PDF)),
        content_type="multipart/form-data",
    )
    record = db.scalar(select(ExternalRecord).where(ExternalRecord.user_id == learner.id))
    manager = login(a.manager, target=other_client)
    manager.post(
        f"/team/records/{record.id}/decide",
        data={"decision": "reject", "reason": "Das Zertifikat ist nicht lesbar."},
    )
    page = client.get("/learn/records", headers=EN).get_data(as_text=True)
    assert "rejected" in page and "Das Zertifikat ist nicht lesbar." in page
    (entry,) = entries(db, "record.reject")
    assert entry.changes["status"] == ["pending", "rejected"]


def pending_card(listing, title):
    """The card of a pending proof on the records page."""
    start = listing.index(f": {title}</h3>")
    return listing[start : listing.index("</li>", start)]


def test_a_pending_proof_shows_the_module_it_counts_for_where_the_manager_decides(
    client, other_client, db, world, login, course
):
    a = world.a
    login(a.employees[0])
    client.post("/learn/records", data=form(course.id, ("scan.pdf", PDF), title="Staplerschein"),
                content_type="multipart/form-data")  # fmt: skip
    client.post("/learn/records", data=form(0, ("scan.pdf", PDF), title="Erste Hilfe"),
                content_type="multipart/form-data")  # fmt: skip
    manager = login(a.manager, target=other_client)
    listing = manager.get("/team/records", headers=EN).get_data(as_text=True)
    counting = pending_card(listing, "Staplerschein")
    assert "Counts for the module <strong>Testkurs</strong>" in counting
    assert "it counts like completing this module" in counting
    assert "Counts for no module" in pending_card(listing, "Erste Hilfe")


def test_a_manager_never_decides_on_their_own_proof(client, other_client, db, world, login, course):
    a = world.a
    login(a.manager)  # a manager is a learner too, and uploads a proof of their own
    client.post("/learn/records", data=form(course.id, ("scan.pdf", PDF), title="Eigener Kurs"),
                content_type="multipart/form-data")  # fmt: skip
    own = db.scalar(select(ExternalRecord).where(ExternalRecord.user_id == a.manager.id))
    listing = client.get("/team/records", headers=EN).get_data(as_text=True)
    card = pending_card(listing, "Eigener Kurs")
    assert "This is your own proof" in card
    assert "/decide" not in card and 'value="confirm"' not in card

    refused = client.post(f"/team/records/{own.id}/decide", data={"decision": "confirm"},
                          headers=EN, follow_redirects=True)  # fmt: skip
    assert "You cannot confirm or reject your own proof" in refused.get_data(as_text=True)
    db.refresh(own)
    assert own.status == "pending" and entries(db, "record.confirm") == []
    # Another manager who sees them decides.
    admin = login(world.admin, target=other_client)
    page = admin.get(f"/admin/companies/{a.company.id}/records", headers=EN).get_data(as_text=True)
    assert 'value="confirm"' in pending_card(page, "Eigener Kurs")
    admin.post(f"/admin/companies/{a.company.id}/records/{own.id}/decide",
               data={"decision": "confirm"})  # fmt: skip
    db.refresh(own)
    assert own.status == "confirmed" and own.decided_by_id == world.admin.id


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (("zertifikat.pdf", b"MZ\x90\x00 not a pdf"), "not a PDF, PNG or JPEG"),
        (("gross.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024)), "larger than 5 MB"),
        (None, "Please attach the certificate"),
    ],
)
def test_a_bad_upload_is_refused_and_keeps_what_was_typed(
    client, db, world, login, upload, message
):
    learner = world.a.employees[0]
    login(learner)
    # Encoded here: the test client would spool a large body to a file it never closes.
    fields = form(title="Staplerschein Klasse 3")
    if upload is not None:
        fields["proof"] = FileStorage(io.BytesIO(upload[1]), filename=upload[0])
    boundary, body = encode_multipart(fields)
    response = client.post(
        "/learn/records",
        data=body,
        headers=EN,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Staplerschein Klasse 3"' in page
    assert db.scalar(select(func.count()).select_from(ExternalRecord)) == 0


def test_at_most_ten_proofs_wait_for_a_decision(client, db, world, login):
    learner = world.a.employees[0]
    login(learner)
    for number in range(10):
        sent = client.post("/learn/records", data=form(title=f"Kurs {number}", file=("s.pdf", PDF)))
        assert sent.status_code == 302
    refused = client.post(
        "/learn/records", data=form(title="Kurs 11", file=("s.pdf", PDF)), headers=EN
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Ten of your proofs are waiting for your manager." in page
    assert 'value="Kurs 11"' in page
    assert db.scalar(select(func.count()).select_from(ExternalRecord)) == 10


def test_dates_are_checked(client, db, world, login):
    login(world.a.manager)
    person = world.a.employees[0]
    future = form(completed_on=(today() + timedelta(days=2)).isoformat())
    response = client.post(f"/team/people/{person.id}/records/new", data=future, headers=EN)
    assert response.status_code == 422 and "lies in the future" in response.get_data(as_text=True)
    backwards = form(valid_until=(today() - timedelta(days=20)).isoformat())
    response = client.post(f"/team/people/{person.id}/records/new", data=backwards, headers=EN)
    assert response.status_code == 422
    assert "before the date of the training" in response.get_data(as_text=True)


def test_a_scan_is_shown_only_to_those_allowed(app, client, db, world, login):
    a, b = world.a, world.b
    learner = a.employees[0]  # department "Lager"
    login(learner)
    client.post(
        "/learn/records", data=form(file=("scan.pdf", PDF)), content_type="multipart/form-data"
    )
    record = db.scalar(select(ExternalRecord).where(ExternalRecord.user_id == learner.id))

    own = client.get(f"/learn/records/{record.id}/file")
    assert own.status_code == 200 and own.data == PDF
    assert own.headers["Content-Disposition"].startswith("attachment")  # a PDF: downloaded
    assert own.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in own.headers["Cache-Control"]
    assert "sandbox" in own.headers["Content-Security-Policy"]

    def status(user, url):
        with app.test_client() as other:
            login(user, target=other)
            return other.get(url).status_code

    team_url = f"/team/records/{record.id}/file"
    assert status(a.employees[1], f"/learn/records/{record.id}/file") == 404  # a colleague
    assert status(a.manager, team_url) == 200
    assert status(a.limited_manager, team_url) == 200  # manages "Lager"
    assert status(b.manager, team_url) == 404  # another company
    admin_url = f"/admin/companies/{a.company.id}/records/{record.id}/file"
    assert status(world.admin, admin_url) == 200
    wrong_company = f"/admin/companies/{b.company.id}/records/{record.id}/file"
    assert status(world.admin, wrong_company) == 404


def test_a_limited_manager_reaches_only_their_departments(client, db, world, login):
    a = world.a
    office_worker = a.employees[2]  # department "Büro"
    login(a.limited_manager)
    assert client.get(f"/team/people/{office_worker.id}/records/new").status_code == 404


def test_a_learner_withdraws_a_pending_proof(client, db, world, login):
    learner = world.a.employees[0]
    login(learner)
    client.post(
        "/learn/records", data=form(file=("scan.pdf", PDF)), content_type="multipart/form-data"
    )
    record = db.scalar(select(ExternalRecord).where(ExternalRecord.user_id == learner.id))
    assert client.post(f"/learn/records/{record.id}/withdraw").status_code == 302
    assert db.scalar(select(func.count()).select_from(ExternalRecord)) == 0
    assert len(entries(db, "record.withdraw")) == 1


def test_the_record_services_write_their_own_audit_entries_and_a_refusal_none(db, world):
    from lms.audit.service import Actor
    from lms.training_records import service as external_records
    from lms.training_records.service import Proof, RecordError, RecordInput

    learner, manager = world.a.employees[0], world.a.manager
    me, boss = Actor(learner, "192.0.2.0/24"), Actor(manager, "198.51.100.0/24")
    values = RecordInput(
        title="Erste Hilfe",
        provider="DRK",
        completed_on=date(2026, 3, 2),
        valid_until=None,
        course_id=None,
        proof=Proof("scan.pdf", PDF),
    )
    now = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    submitted = external_records.submit_own(db, me, learner, values, now)
    with pytest.raises(RecordError) as refused:
        external_records.decide(db, me, submitted, True, "", now)  # not one's own
    assert refused.value.code == "own-proof"
    external_records.decide(db, boss, submitted, False, " unleserlich ", now)
    added = external_records.record_for(db, boss, learner, values, now)
    added_id = added.id
    external_records.delete(db, boss, added, now)
    withdrawn = external_records.submit_own(db, me, learner, values, now)
    withdrawn_id = withdrawn.id
    external_records.withdraw_own(db, me, withdrawn, learner, now)

    logged = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.address, e.subject_id) for e in logged] == [
        ("record.submit", learner.id, "192.0.2.0/24", submitted.id),
        ("record.reject", manager.id, "198.51.100.0/24", submitted.id),
        ("record.add", manager.id, "198.51.100.0/24", added_id),
        ("record.delete", manager.id, "198.51.100.0/24", added_id),
        ("record.submit", learner.id, "192.0.2.0/24", withdrawn_id),
        ("record.withdraw", learner.id, "192.0.2.0/24", withdrawn_id),
    ]
    assert {e.company_id for e in logged} == {world.a.company.id}
    assert {e.subject for e in logged} == {f"{learner.display_name}: Erste Hilfe"}
    assert logged[0].changes == {
        "title": [None, "Erste Hilfe"],
        "provider": [None, "DRK"],
        "completed_on": [None, "2026-03-02"],
        "valid_until": [None, None],
        "course_id": [None, None],
        "status": [None, "pending"],
        "file": [None, "scan.pdf"],
    }
    assert logged[1].changes == {"status": ["pending", "rejected"], "reason": [None, "unleserlich"]}
    assert logged[3].changes["status"] == ["confirmed", None]
    assert logged[5].changes["file"] == ["scan.pdf", None]


def test_deleting_a_record_takes_it_out_of_the_matrix(client, db, world, login, course):
    a = world.a
    person = a.employees[0]
    assign(db, a, course, [person])
    login(a.manager)
    client.post(f"/team/people/{person.id}/records/new", data=form(course.id))
    record = db.scalar(select(ExternalRecord))
    assert "completed" in matrix_row(client, person)
    response = client.post(f"/team/records/{record.id}/delete", data={"back": "person"})
    assert response.location.endswith(f"/team/people/{person.id}")
    assert "not started" in matrix_row(client, person)
    (entry,) = entries(db, "record.delete")
    assert entry.changes["title"] == ["Erste Hilfe", None]


def test_the_proof_of_instruction_lists_external_records_as_external(
    client, db, world, login, course
):
    a = world.a
    person = a.employees[0]
    login(a.manager)
    client.post(f"/team/people/{person.id}/records/new", data=form(course.id))
    year = today().year
    response = client.get(
        "/team/proof",
        query_string={
            "course": course.id,
            "start": date(year - 1, 1, 1).isoformat(),
            "end": date(year, 12, 31).isoformat(),
            "format": "csv",
        },
        headers=EN,
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True)[1:]), delimiter=";"))
    (line,) = [row for row in rows if row[0] == person.display_name]
    assert line[2] == "external"
    assert "External: Erste Hilfe, DRK Kreisverband" in line


def test_an_admin_records_a_training_for_any_company(client, db, world, login, course):
    person = world.b.employees[0]
    login(world.admin)
    url = f"/admin/companies/{world.b.company.id}/people/{person.id}/records/new"
    assert client.get(url).status_code == 200
    assert client.post(url, data=form(course.id)).status_code == 302
    record = db.scalar(select(ExternalRecord))
    assert record.company_id == world.b.company.id and record.created_by_id == world.admin.id
    edit = client.get(f"/admin/companies/{world.b.company.id}/people/{person.id}/edit")
    assert "Erste Hilfe" in edit.get_data(as_text=True)
    # A person of another company under this company's address: 404.
    other = f"/admin/companies/{world.a.company.id}/people/{person.id}/records/new"
    assert client.get(other).status_code == 404


def test_an_admin_stays_in_the_company_of_the_address_through_its_records(client, db, world, login):
    """The records pages under /admin/companies/<id>/ link and send back into that company:
    its list, its import, its person's page; another company's address answers 404."""
    a, b = world.a, world.b
    person = b.employees[0]
    record = ExternalRecord(
        company_id=b.company.id,
        user_id=person.id,
        title="Erste Hilfe",
        completed_at=datetime.now(UTC),
        status="pending",
        file_name="scan.pdf",
        file_type="application/pdf",
        file_size=len(PDF),
        file_data=PDF,
    )
    db.add(record)
    db.flush()
    login(world.admin)
    company = f"/admin/companies/{b.company.id}"
    listing = client.get(f"{company}/records", headers=EN).get_data(as_text=True)
    for link in (
        f'href="{company}"',  # back to the company
        f'href="{company}/records/import"',
        f'href="{company}/records/{record.id}/file"',
        f'action="{company}/records/{record.id}/decide"',
    ):
        assert link in listing
    import_page = client.get(f"{company}/records/import").get_data(as_text=True)
    assert f'action="{company}/records/import"' in import_page
    assert f'href="{company}/records"' in import_page
    foreign = f"/admin/companies/{a.company.id}/records/{record.id}/decide"
    assert client.post(foreign, data={"decision": "confirm"}).status_code == 404

    decided = client.post(f"{company}/records/{record.id}/decide", data={"decision": "confirm"})
    assert decided.location.endswith(f"{company}/records")
    listing = client.get(f"{company}/records").get_data(as_text=True)
    assert f'href="{company}/people/{person.id}/edit"' in listing  # the person's page

    edit = client.get(f"{company}/people/{person.id}/edit").get_data(as_text=True)
    assert f'href="{company}/people/{person.id}/records/new"' in edit
    assert f'action="{company}/records/{record.id}/delete"' in edit
    deleted = client.post(f"{company}/records/{record.id}/delete", data={"back": "person"})
    assert deleted.location.endswith(f"{company}/people/{person.id}/edit")
    assert db.scalar(select(func.count()).select_from(ExternalRecord)) == 0


# --- Import ----------------------------------------------------------------------------


def upload(client, url, text, encoding="cp1252", name="nachweise.csv"):
    return client.post(
        url,
        data={"file": (io.BytesIO(text.encode(encoding)), name)},
        headers=EN,
        content_type="multipart/form-data",
    )


def test_importing_records_dry_run_apply_and_again_unchanged(client, db, world, login, course):
    a = world.a
    first, second = a.employees[0], a.employees[1]
    second.personnel_number = "4711"
    db.flush()
    title = course.versions[-1].title if hasattr(course, "versions") else "testkurs"
    text = (
        "Personalnummer;E-Mail;Schulung;Anbieter;Datum;Gültig bis;Modul;Bemerkung\r\n"
        f";{first.email};Staplerschein;TÜV Süd;03.02.2025;;;x\r\n"
        f"4711;;Erste Hilfe;DRK;2025-06-30;30.06.27;testkurs;\r\n"
    )
    login(a.manager)
    response = upload(client, "/team/records/import", text)
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert "Bemerkung" in page  # the extra column's notice
    assert "Staplerschein" in page and "Erste Hilfe" in page
    assert db.scalar(select(func.count()).select_from(ExternalRecord)) == 0  # a dry run
    token = page.split('name="token" value="')[1].split('"')[0]
    response = client.post("/team/records/import/apply", data={"token": token})
    assert response.status_code == 302
    records = db.scalars(select(ExternalRecord).order_by(ExternalRecord.id)).all()
    assert [(r.user_id, r.title, r.status) for r in records] == [
        (first.id, "Staplerschein", "confirmed"),
        (second.id, "Erste Hilfe", "confirmed"),
    ]
    assert records[1].course_id == course.id and records[0].course_id is None
    assert records[1].valid_until.astimezone(
        __import__("lms.clock", fromlist=["local_zone"]).local_zone()
    ).date() == date(2027, 6, 30)
    (entry,) = entries(db, "record.import")
    assert entry.changes["new"] == [None, 2]
    # Again: nothing new.
    again = upload(client, "/team/records/import", text).get_data(as_text=True)
    assert "nothing to import" in again
    assert title


def test_a_record_file_with_problems_names_each_line_and_records_nothing(
    client, db, world, login, course
):
    a = world.a
    text = (
        "E-Mail,Schulung,Datum,Modul\n"
        "niemand@example.com,Staplerschein,03.02.2025,\n"
        f"{a.employees[0].email},=HYPERLINK(1),03.02.2025,\n"
        f"{a.employees[0].email},Erste Hilfe,31.02.2025,\n"
        f"{a.employees[0].email},Erste Hilfe,01.02.2025,Gibt es nicht\n"
        f"{world.b.employees[0].email},Erste Hilfe,01.02.2025,\n"
    )
    login(a.manager)
    response = upload(client, "/team/records/import", text, encoding="utf-8")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "line 2: Nobody here has the e-mail address or personnel number" in page
    assert "line 3: The cell in column Schulung starts with =" in page
    assert "line 4: 31.02.2025 is not a date" in page
    assert "line 5: There is no module Gibt es nicht" in page
    assert "line 6: Nobody here" in page  # another company's person
    assert 'name="token"' not in page
    assert db.scalar(select(func.count()).select_from(ExternalRecord)) == 0


def test_a_record_file_without_the_needed_columns_is_refused(client, world, login):
    login(world.a.manager)
    response = upload(client, "/team/records/import", "Name;Kurs\nAnna;Stapler\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The column E-Mail (e-mail) / Personalnummer (personnel number) is missing." in page
    assert "The column Schulung (training) is missing." in page


def test_the_learners_data_export_lists_their_records(client, db, world, login):
    learner = world.a.employees[0]
    login(learner)
    client.post(
        "/learn/records", data=form(file=("scan.pdf", PDF)), content_type="multipart/form-data"
    )
    data = client.get("/learn/my-data.json").get_json()
    (record,) = data["external_records"]
    assert record["title"] == "Erste Hilfe" and record["status"] == "pending"


def test_nobody_records_a_training_for_themselves(client, db, world, login, course):
    a = world.a
    login(a.manager)
    response = client.post(f"/team/people/{a.manager.id}/records/new", data=form(course.id))
    assert response.status_code == 422
    text = f"E-Mail;Schulung;Datum\n{a.manager.email};Erste Hilfe;01.02.2025\n"
    page = upload(client, "/team/records/import", text, encoding="utf-8").get_data(as_text=True)
    assert "line 2: You cannot record a training for yourself" in page
    assert db.scalar(select(func.count()).select_from(ExternalRecord)) == 0


def test_an_undated_record_for_a_module_is_valid_as_long_as_the_module(
    client, db, world, login, course
):
    a = world.a
    person = a.employees[0]
    assign(db, a, course, [person])
    login(a.manager)
    old = form(course.id, completed_on=(today() - timedelta(days=500)).isoformat(),
               valid_until="")  # fmt: skip
    client.post(f"/team/people/{person.id}/records/new", data=old)
    record = db.scalar(select(ExternalRecord))
    assert record.valid_until is not None  # the module's 12 months
    assert "expired" in matrix_row(client, person)
