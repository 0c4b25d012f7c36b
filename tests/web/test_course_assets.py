"""Course assets: served to logged-in users under versioned, long-cached URLs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lms.content.importer import import_course
from tests.unit.test_course_parser import write_course

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def version(app, db, tmp_path):
    folder = write_course(tmp_path, {"assets/plan.svg": SVG, "assets/info.pdf": b"%PDF-1.4"})
    with app.test_request_context():
        return import_course(db, folder, datetime.now(UTC)).version


def url(version, path):
    return f"/content/testkurs/{version.content_hash[:16]}/{path}"


def test_asset_is_served_with_type_and_long_cache(client, world, login, version):
    login(world.a.employees[0])
    response = client.get(url(version, "assets/bild.png"))
    assert response.status_code == 200 and response.data == b"\x89PNG fake"
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_svg_cannot_run_script_when_opened_directly(client, world, login, version):
    login(world.a.employees[0])
    response = client.get(url(version, "assets/plan.svg"))
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_pdf_is_downloaded_not_shown_inline(client, world, login, version):
    login(world.a.employees[0])
    assert (
        client.get(url(version, "assets/info.pdf")).headers["Content-Disposition"] == "attachment"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/content/testkurs/0000000000000000/assets/bild.png",  # wrong version
        "/content/andere/{digest}/assets/bild.png",  # wrong course
        "/content/testkurs/{digest}/assets/fehlt.png",  # no such file
        "/content/testkurs/{digest}/../course.md",  # path tricks
        "/content/testkurs/{short}/assets/bild.png",  # a prefix too short to identify
    ],
)
def test_unknown_assets_answer_404(client, world, login, version, path):
    login(world.a.employees[0])
    target = path.format(digest=version.content_hash[:16], short=version.content_hash[:2])
    assert client.get(target).status_code == 404


def test_assets_need_a_login(client, version):
    response = client.get(url(version, "assets/bild.png"))
    assert response.status_code == 302 and response.location.startswith("/login")


def test_static_files_are_cacheable_for_logged_in_users(client, world, login):
    login(world.a.employees[0])
    response = client.get("/static/css/app.css")
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()
