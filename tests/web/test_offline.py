"""Reading offline (issue 19, point 5): the manifest, the service worker, the offline
page, the list "Für unterwegs speichern" fetches, and a lesson marked done twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms.content.importer import import_course
from lms.models import Enrollment, LearningRecord, Role, UnitProgress
from tests.factories import make_user
from tests.unit.test_course_parser import write_course

SECOND = "---\ntype: lesson\ntitle: Zweitens\nminutes: 3\n---\nText mit ![Plan](assets/plan.png).\n"
QUIZ = "---\ntype: quiz\ntitle: Wissenscheck\n---\n## Richtig? {#frage}\nanswer: wahr\n"
LIST = "/learn/courses/testkurs/offline.json"


@pytest.fixture
def course_version(app, db, tmp_path):
    folder = write_course(
        tmp_path,
        {"02-zweitens.md": SECOND, "03-check.md": QUIZ, "assets/plan.png": b"\x89PNG plan"},
    )
    with app.test_request_context():
        return import_course(db, folder, datetime.now(UTC)).version


@pytest.fixture
def learner(client, db, world, login, course_version):
    """A signed-in learner of company A enrolled on the test course."""
    user = make_user(db, world.a.company, department=world.a.departments[0])
    login(user)
    assert client.post("/learn/courses/testkurs/enroll").status_code == 302
    return user


def test_the_manifest_makes_lernwerk_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "Lernwerk" and manifest["short_name"] == "Lernwerk"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b5cad"  # --color-accent of app.css
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.mimetype == "image/png"
        image.close()


def test_the_service_worker_is_served_from_the_root_with_vendored_workbox(client, world, login):
    for signed_in in (False, True):
        if signed_in:
            login(world.a.employees[0])
        response = client.get("/sw.js")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-cache"  # not no-store: updates are checked
        script = response.get_data(as_text=True)
        assert 'importScripts("/static/vendor/workbox-7.4.1/workbox-sw.js")' in script
        assert 'modulePathPrefix: "/static/vendor/workbox-7.4.1/"' in script
        assert "modulesPathPrefix" not in script and "googleapis" not in script
        assert '"url": "/offline"' in script or '"url":"/offline"' in script


def test_the_vendored_workbox_files_are_all_there(client):
    names = ["workbox-sw.js", "LICENSE"] + [
        f"workbox-{name}.prod.js"
        for name in (
            "core",
            "routing",
            "strategies",
            "expiration",
            "background-sync",
            "cacheable-response",
            "precaching",
        )
    ]
    for name in names:
        response = client.get(f"/static/vendor/workbox-7.4.1/{name}")
        assert response.status_code == 200, name
        response.close()


def test_the_worker_fetches_the_shell_again_when_a_file_changes(app, client):
    from lms.offline import views

    first = client.get("/sw.js").get_data(as_text=True)
    assert client.get("/sw.js").get_data(as_text=True) == first  # the same bytes: no update
    with app.test_request_context():
        entries = views._precache_entries()
    urls = [entry["url"] for entry in entries]
    assert urls == [
        "/static/css/app.css",
        "/static/js/offline.js",
        "/static/img/favicon.svg",
        "/static/img/icon-192.png",
        "/offline",
    ]
    assert all(len(entry["revision"]) == 16 for entry in entries)


def test_the_offline_page_is_public_calm_and_names_no_one(client, world, login):
    english = {"Accept-Language": "en"}
    anonymous = client.get("/offline", headers=english)
    assert anonymous.status_code == 200
    login(world.a.employees[0])
    page = client.get("/offline", headers=english)
    text = page.get_data(as_text=True)
    assert "No connection. You can go on reading lessons saved before." in text
    assert world.a.employees[0].display_name not in text
    assert page.headers["Cache-Control"] == "no-cache"
    assert text == anonymous.get_data(as_text=True)  # one page for everyone: no token, no name


def test_every_page_links_the_manifest_and_offline_script(client, learner):
    learner.language = "en"
    page = client.get("/learn/courses/testkurs").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert '<meta name="theme-color" content="#0b5cad">' in page
    assert 'src="/static/js/offline.js" defer' in page
    assert 'data-session="in"' in page
    # The save button, hidden until offline.js finds a service worker.
    assert "data-offline-save" in page and 'data-url="/learn/courses/testkurs/offline.json"' in page
    assert "Für unterwegs speichern" in page  # German, the company's language


def test_the_list_names_the_lessons_and_their_images(client, learner, course_version):
    response = client.get(LIST)
    assert response.status_code == 200
    data = response.get_json()
    digest = course_version.content_hash[:16]
    assert data["module"] == "/learn/courses/testkurs"
    assert data["version"] == digest
    assert data["lessons"] == [
        {
            "url": "/learn/courses/testkurs/einstieg",
            "title": "Einstieg",
            "assets": [f"/content/testkurs/{digest}/assets/bild.png"],
        },
        {
            "url": "/learn/courses/testkurs/zweitens",
            "title": "Zweitens",
            "assets": [f"/content/testkurs/{digest}/assets/plan.png"],
        },
    ]  # the knowledge check needs the network: not listed
    assert response.headers["Cache-Control"] == "no-store"  # a signed-in person's answer
    for lesson in data["lessons"]:
        for url in [lesson["url"], *lesson["assets"]]:
            assert client.get(url).status_code == 200, url


def test_the_list_is_only_for_the_learners_own_module(
    app, client, db, world, login, course_version
):
    assert client.get(LIST).status_code == 302  # signed out: to the sign-in page
    not_enrolled = make_user(db, world.a.company)
    assert login(not_enrolled, target=app.test_client()).get(LIST).status_code == 404
    other_company = make_user(db, world.b.company)
    assert login(other_company, target=app.test_client()).get(LIST).status_code == 404
    manager_only = login(make_user(db, world.a.company, Role.MANAGER), target=app.test_client())
    assert manager_only.get(LIST).status_code == 403
    assert manager_only.get("/learn/courses/unbekannt/offline.json").status_code == 403


def test_a_lesson_marked_done_twice_counts_once(client, db, learner):
    """The service worker may send a queued "done" after the page sent it (or twice):
    one progress row and one learning record, whatever the number of POSTs."""
    for _ in range(3):
        response = client.post("/learn/courses/testkurs/einstieg/done")
        assert response.status_code == 302
    rows = db.scalar(
        select(func.count())
        .select_from(UnitProgress)
        .join(Enrollment, Enrollment.id == UnitProgress.enrollment_id)
        .where(UnitProgress.unit_id == "einstieg", Enrollment.user_id == learner.id)
    )
    assert rows == 1
    verbs = db.scalars(
        select(LearningRecord.verb).where(
            LearningRecord.user_id == learner.id, LearningRecord.unit == "einstieg"
        )
    ).all()
    assert verbs == ["experienced"]


def test_a_shared_device_runs_no_service_worker(app, client, db, world, learner):
    """On a company's shared tablet the network (and so the sign-out's Clear-Site-Data)
    may not arrive: offline.js keeps no pages there and drops any worker and cache."""
    from tests.shared_device_helpers import enrolled_cookie

    assert 'data-session="in"' in client.get("/learn/").get_data(as_text=True)
    with app.app_context():
        name, value = enrolled_cookie(db, world.a.company)
    client.set_cookie(name, value)
    page = client.get("/learn/courses/testkurs", follow_redirects=True).get_data(as_text=True)
    assert 'data-session="shared"' in page
