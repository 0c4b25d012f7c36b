"""A company's own look: the admin uploads a logo and picks an accent colour; the
company's people see them in the header and on their certificates, nobody else does."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.content.importer import import_course
from lms.models import AuditEntry, CompanyLogo, Completion
from tests.unit.test_company_look import SVG, image_bytes
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}


def upload(client, company_id, data, filename="logo.png"):
    # The body built here, in memory: the test client would spool a large one to a
    # temporary file it never closes.
    boundary, body = encode_multipart({"logo": FileStorage(io.BytesIO(data), filename)})
    return client.post(
        f"/admin/companies/{company_id}/look/logo",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=EN,
    )


def logo_url(page: str) -> str | None:
    match = re.search(r'<img class="brand__logo" src="([^"]+)" alt="([^"]*)"', page)
    return match.group(1).replace("&amp;", "&") if match else None


def actions(db, company_id):
    return [
        entry.action
        for entry in db.scalars(select(AuditEntry).where(AuditEntry.company_id == company_id))
    ]


@pytest.fixture
def alpha_logo(client, db, world, login):
    """Company A's logo, uploaded by the admin (who is logged out again)."""
    login(world.admin)
    response = upload(client, world.a.company.id, image_bytes())
    assert response.status_code == 302
    client.post("/logout")
    db.refresh(world.a.company)
    return world.a.company.logo_digest


def test_the_admin_uploads_a_logo_and_only_the_companys_people_see_it(
    app, client, db, world, login, alpha_logo
):
    assert alpha_logo and "company.logo" in actions(db, world.a.company.id)
    login(world.a.employees[0])
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    url = logo_url(page)
    assert url == f"/look/companies/{world.a.company.id}/logo?v={alpha_logo}"
    assert 'alt="Alpha"' in page
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in response.headers["Cache-Control"]
    assert response.data == image_bytes()
    # Without its version it is asked for again each time.
    assert "no-cache" in client.get(url.split("?")[0]).headers["Cache-Control"]

    other = app.test_client()
    login(world.b.employees[0], target=other)
    assert logo_url(other.get("/learn/", headers=EN).get_data(as_text=True)) is None
    assert other.get(url).status_code == 404  # another company's logo is not there for them


def test_staff_see_the_provider_logo_and_admins_reach_every_companys(
    app, client, world, login, alpha_logo, tmp_path
):
    login(world.trainer)
    page = client.get("/author/", headers=EN).get_data(as_text=True)
    assert logo_url(page) is None  # no provider logo configured: the name as before
    provider = tmp_path / "provider.webp"
    provider.write_bytes(image_bytes("WEBP"))
    app.config["PROVIDER_LOGO"] = str(provider)
    try:
        page = client.get("/author/", headers=EN).get_data(as_text=True)
        url = logo_url(page)
        assert url is not None and url.startswith("/look/provider-logo?v=")
        assert f'alt="{app.config["PROVIDER_NAME"]}"' in page
        served = client.get(url)
        assert served.headers["Content-Type"] == "image/webp"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert client.get(f"/look/companies/{world.a.company.id}/logo").status_code == 404
    finally:
        app.config["PROVIDER_LOGO"] = None
    admin = app.test_client()
    login(world.admin, target=admin)
    assert admin.get(f"/look/companies/{world.a.company.id}/logo").status_code == 200


@pytest.mark.parametrize(
    "data,filename,words",
    [
        (SVG, "logo.svg", "SVG files are not accepted"),
        (b"\x89PNG\r\n\x1a\n" + b"fake" * 50, "logo.png", "not a PNG, JPEG or WebP"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (600 * 1024), "big.png", "larger than 512 KB"),
    ],
)
def test_a_refused_logo_says_why_and_changes_nothing(
    client, db, world, login, data, filename, words
):
    login(world.admin)
    response = upload(client, world.a.company.id, data, filename)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert words in page and 'id="logo-error"' in page
    assert db.get(CompanyLogo, world.a.company.id) is None
    db.refresh(world.a.company)
    assert world.a.company.logo_digest is None
    assert "company.logo" not in actions(db, world.a.company.id)


def test_the_admin_removes_the_logo(client, db, world, login, alpha_logo):
    login(world.admin)
    response = client.post(f"/admin/companies/{world.a.company.id}/look/logo/remove")
    assert response.status_code == 302
    assert db.get(CompanyLogo, world.a.company.id) is None
    assert "company.logo_remove" in actions(db, world.a.company.id)
    client.post("/logout")
    login(world.a.employees[0])
    assert logo_url(client.get("/learn/", headers=EN).get_data(as_text=True)) is None


def accent_of(db, company):
    db.refresh(company)
    return company.accent_color


def accent(client, company_id, **form):
    form.setdefault("shown_text", "")
    form.setdefault("shown_picker", "#0b5cad")
    form.setdefault("accent_picker", "#0b5cad")
    return client.post(f"/admin/companies/{company_id}/look/accent", data=form, headers=EN)


def test_a_light_accent_is_refused_with_its_ratio_and_what_was_typed_is_kept(
    client, db, world, login
):
    login(world.admin)
    response = accent(client, world.a.company.id, accent="#FFCC00")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "contrast of only 1.5:1" in page and "#8c7000" in page
    assert 'value="#FFCC00"' in page
    assert '<input type="color" id="accent-picker" name="accent_picker" value="#ffcc00"' in page
    assert accent_of(db, world.a.company) is None
    # The ratio as the page's language writes numbers.
    german = client.post(f"/admin/companies/{world.a.company.id}/look/accent",
                         data={"shown_text": "", "accent": "#ffcc00"})  # fmt: skip
    assert german.status_code == 422 and "1,5:1" in german.get_data(as_text=True)


def test_the_accent_colours_the_companys_pages_only(app, client, db, world, login):
    login(world.admin)
    assert accent(client, world.a.company.id, accent="#1b6e31").status_code == 302
    assert accent_of(db, world.a.company) == "#1b6e31"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "company.accent"))
    assert entry is not None and entry.changes == {"accent_color": [None, "#1b6e31"]}
    # Only the picker changed (no JavaScript sends both): the picker counts.
    assert accent(client, world.a.company.id, shown_text="#1b6e31", shown_picker="#1b6e31",
                  accent="#1b6e31", accent_picker="#7a4f00").status_code == 302  # fmt: skip
    assert accent_of(db, world.a.company) == "#7a4f00"
    client.post("/logout")

    login(world.a.employees[0])
    page = client.get("/learn/", headers=EN).get_data(as_text=True)
    assert '<link rel="stylesheet" href="/look/accent-7a4f00.css">' in page
    assert "site-header--accent" in page
    css = client.get("/look/accent-7a4f00.css")
    assert css.headers["Content-Type"].startswith("text/css")
    assert "--color-accent: #7a4f00;" in css.get_data(as_text=True)
    assert client.get("/look/accent-ffcc00.css").status_code == 404  # unreadable: never served

    other = app.test_client()
    login(world.b.employees[0], target=other)
    assert "/look/accent-" not in other.get("/learn/", headers=EN).get_data(as_text=True)

    client.post("/logout")
    login(world.admin)
    assert accent(client, world.a.company.id, action="reset").status_code == 302
    assert accent_of(db, world.a.company) is None


def test_the_company_page_has_the_look_section(client, world, login):
    login(world.admin)
    page = client.get(f"/admin/companies/{world.a.company.id}", headers=EN).get_data(as_text=True)
    assert 'id="look"' in page and 'type="color"' in page and 'name="logo"' in page


def test_the_certificate_carries_the_companys_logo(
    app, client, db, world, login, alpha_logo, tmp_path
):
    folder = write_course(tmp_path, {})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    login(world.a.employees[0])
    client.post("/learn/courses/testkurs/enroll")
    client.post("/learn/courses/testkurs/einstieg/done")
    completion = db.scalar(select(Completion))
    with_logo = client.get(f"/learn/certificates/{completion.code}.pdf")
    assert with_logo.status_code == 200 and with_logo.data.startswith(b"%PDF")
    # The QR code is one image; the logo is the second.
    assert with_logo.data.count(b"/Subtype /Image") == 2
    world.a.company.logo_digest = None
    db.flush()
    without = client.get(f"/learn/certificates/{completion.code}.pdf")
    assert without.data.count(b"/Subtype /Image") == 1
