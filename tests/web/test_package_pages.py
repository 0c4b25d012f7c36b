"""The pages of a package unit: the unit page, the launch, the player, the commit
endpoint and the package files – with a package origin of its own and without one
(a sandboxed frame on Lernwerk's host)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from config import package_origin_problems
from lms.content.importer import import_course
from lms.models import Course, CourseVersion, PackageAttempt, PackageLaunch
from lms.packages.storage import store_package_files
from lms.packages.views import SESSION_KEY, api_key, with_runtime_scripts
from lms.services import learning
from tests.package_helpers import courses_with_packages
from tests.unit.test_course_parser import write_course

COURSES = Path(__file__).resolve().parents[1] / "e2e" / "courses"
SLUG = "e2e-pakete"
UNIT_12 = f"/learn/courses/{SLUG}/brandschutz"
UNIT_2004 = f"/learn/courses/{SLUG}/gefahrstoffe"
PACKAGE_ORIGIN = "http://pakete.test"
EN = {"Accept-Language": "en"}  # new texts are translated by the lead later


@pytest.fixture
def course(app, db, tmp_path):
    folder = courses_with_packages(COURSES, tmp_path / "courses") / SLUG
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    return db.scalar(select(Course).where(Course.slug == SLUG))


@pytest.fixture
def learner(db, world, course):
    person = world.a.employees[0]
    learning.enroll(db, person, course, datetime.now(UTC))
    db.flush()
    return person


@pytest.fixture
def own_origin(app):
    app.config["PACKAGE_ORIGIN"] = PACKAGE_ORIGIN


def start(client, unit_url=UNIT_12, item="sco"):
    """Launch an item from the unit page; the player's path."""
    response = client.post(unit_url + "/launch", data={"item": item}, headers=EN)
    assert response.status_code == 302, response.status_code
    assert re.fullmatch(r"/learn/play/\d+", response.location), response.location
    return response.location


def player_config(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="package-config">(.*?)</script>', page)
    assert found is not None
    return json.loads(found.group(1))


def sandbox_of(page: str) -> list[str]:
    found = re.search(r'sandbox="([^"]*)"', page)
    assert found is not None
    return found.group(1).split()


def token_of(client, player_path: str) -> str:
    with client.session_transaction() as session:
        return session[SESSION_KEY][player_path.rsplit("/", 1)[1]]


def body(cmi: dict, sequence: int, **extra) -> dict:
    return {"cmi": cmi, "commitSequence": sequence, **extra}


# --- The unit page ------------------------------------------------------------------


def test_the_unit_page_shows_one_item_with_its_state_and_start_button(client, login, learner):
    login(learner)
    page = client.get(UNIT_12, headers=EN).get_data(as_text=True)
    assert "Ein kurzes Modul eines Verlags" in page  # the unit's text
    assert "not started" in page
    assert 'name="item" value="sco"' in page
    assert ">Start</button>" in page
    assert "<noscript>" in page and "JavaScript" in page
    assert 'class="package-items"' not in page  # one item: no list


def test_a_unit_with_several_items_lists_them(client, login, learner):
    login(learner)
    page = client.get(UNIT_2004, headers=EN).get_data(as_text=True)
    assert 'class="package-items"' in page
    assert "Wissenscheck Gefahrstoffe" in page and "Zusammenfassung" in page
    assert page.count(">Start</button>") == 2
    assert "80\xa0%" in page  # the pass mark of the knowledge check


def test_a_started_item_can_be_resumed_and_a_failed_one_started_again(client, db, login, learner):
    login(learner)
    player = start(client, UNIT_2004, "check")
    page = client.get(UNIT_2004, headers=EN).get_data(as_text=True)
    assert "in progress" in page and ">Resume</button>" in page
    token = token_of(client, player)
    failed = {"completion_status": "completed", "exit": "normal", "score": {"scaled": "0.4"}}
    answer = client.post(f"/learn/package-commits/{token}", json=body(failed, 1, terminate=True))
    assert answer.get_json() == {"result": True, "errorCode": 0, "sequence": 1}
    page = client.get(UNIT_2004, headers=EN).get_data(as_text=True)
    assert "not passed" in page and ">Start again</button>" in page
    assert "40\xa0%" in page


def test_the_launch_refuses_an_unknown_item_and_another_unit(client, login, learner):
    login(learner)
    assert client.post(UNIT_12 + "/launch", data={"item": "nope"}).status_code == 404
    lesson = f"/learn/courses/{SLUG}/einfuehrung/launch"
    assert client.post(lesson, data={"item": "sco"}).status_code == 404


# --- The player ---------------------------------------------------------------------


def test_the_player_frames_the_item_on_the_package_origin(client, login, learner, own_origin):
    login(learner)
    response = client.get(start(client), headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    config = player_config(page)
    assert config["launchUrl"].startswith(PACKAGE_ORIGIN + "/package-files/")
    assert config["launchUrl"].endswith("/index.html")
    assert config["packageOrigin"] == PACKAGE_ORIGIN
    assert config["commitUrl"].startswith("/learn/package-commits/")
    assert config["runtime"]  # the data loaded into the API
    sandbox = sandbox_of(page)
    assert "allow-same-origin" in sandbox and "allow-scripts" in sandbox
    assert "allow-top-navigation" not in sandbox
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-src {PACKAGE_ORIGIN}" in policy and "script-src 'self'" in policy
    # No inline script: every script is a file, or the JSON configuration.
    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "Back to the unit" in page


def test_without_a_package_origin_the_frame_has_no_same_origin_rights(client, login, learner):
    login(learner)
    response = client.get(start(client))
    page = response.get_data(as_text=True)
    sandbox = sandbox_of(page)
    assert "allow-same-origin" not in sandbox and "allow-scripts" in sandbox
    assert "frame-src 'self'" in response.headers["Content-Security-Policy"]
    config = player_config(page)
    assert config["launchUrl"].startswith("/package-files/")
    assert config["packageOrigin"] == "*"


def test_the_player_is_only_for_the_owner_of_the_launch(app, client, db, login, learner, world):
    login(learner)
    player = start(client)
    other = world.a.employees[1]
    learning.enroll(
        db, other, db.scalar(select(Course).where(Course.slug == SLUG)), datetime.now(UTC)
    )
    with app.test_client() as someone_else:
        login(other, target=someone_else)
        assert someone_else.get(player).status_code == 404
    assert client.get("/learn/play/999999").status_code == 404


def test_a_newer_launch_sends_the_old_player_back_to_the_unit(client, login, learner):
    login(learner)
    first = start(client)
    start(client)
    response = client.get(first)
    assert response.status_code == 302 and response.location == UNIT_12


# --- Commits ------------------------------------------------------------------------


def test_a_commit_is_kept_and_answered_as_scorm_again_expects(client, db, login, learner):
    login(learner)
    token = token_of(client, start(client))
    cmi = {"core": {"lesson_location": "seite-2", "lesson_status": "incomplete"},
           "suspend_data": "notiz"}  # fmt: skip
    answer = client.post(f"/learn/package-commits/{token}", json=body(cmi, 1))
    assert answer.status_code == 200
    # scorm-again's answer, and the commit's number: the player knows what is kept.
    assert answer.get_json() == {"result": True, "errorCode": 0, "sequence": 1}
    attempt = db.scalar(select(PackageAttempt).where(PackageAttempt.user_id == learner.id))
    db.refresh(attempt)
    assert (attempt.location, attempt.suspend_data) == ("seite-2", "notiz")


def test_a_beacon_commit_as_plain_text_is_kept(client, db, login, learner):
    login(learner)
    token = token_of(client, start(client))
    cmi = {"core": {"lesson_status": "completed"}}
    answer = client.post(
        f"/learn/package-commits/{token}",
        data=json.dumps(body(cmi, 1)),
        content_type="text/plain;charset=UTF-8",
    )
    assert answer.get_json()["result"] is True
    attempt = db.scalar(select(PackageAttempt).where(PackageAttempt.user_id == learner.id))
    db.refresh(attempt)
    assert attempt.completion == "completed"


def test_commits_need_no_csrf_token_but_the_launch_does(app, client, login, learner):
    login(learner)
    token = token_of(client, start(client))
    app.config["WTF_CSRF_ENABLED"] = True
    answer = client.post(f"/learn/package-commits/{token}", json=body({"core": {}}, 1))
    assert answer.status_code == 200
    assert client.post(UNIT_12 + "/launch", data={"item": "sco"}).status_code == 400


def test_bad_commits_are_refused(app, client, login, learner):
    login(learner)
    token = token_of(client, start(client))
    url = f"/learn/package-commits/{token}"
    assert client.post(url, data="{", content_type="application/json").status_code == 400
    assert client.post(url, json=[1, 2]).status_code == 400
    assert client.post(url, json={"cmi": {}, "commitSequence": "x"}).status_code == 400
    huge = json.dumps(body({"suspend_data": "x" * (1024 * 1024)}, 1))
    assert client.post(url, data=huge, content_type="application/json").status_code == 413
    assert client.post("/learn/package-commits/unknown", json=body({}, 1)).status_code == 404


def test_commits_a_database_cannot_hold_or_python_cannot_read_are_refused(
    client, db, login, learner
):
    login(learner)
    token = token_of(client, start(client))
    url = f"/learn/package-commits/{token}"
    for sequence in (2**31, 2**63, 10**30):  # commit_sequence is an INTEGER
        assert client.post(url, json=body({"core": {}}, sequence)).status_code == 400
    nested = '{"cmi": {"core": {}}, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert client.post(url, data=nested, content_type="application/json").status_code == 400
    # PostgreSQL keeps no NUL: refused where the SCO gets the text back, else left out.
    nul = {"suspend_data": "a\x00b", "core": {}}
    assert client.post(url, json=body(nul, 1)).status_code == 400
    interactions = {"0": {"id": "q\x001", "type": "choice", "student_response": "a\x00"}}
    cmi = {"core": {"exit": "suspend\x00"}, "interactions": interactions}
    assert client.post(url, json=body(cmi, 1)).get_json()["result"] is True
    attempt = db.scalar(select(PackageAttempt).where(PackageAttempt.user_id == learner.id))
    db.refresh(attempt)
    assert (attempt.commit_sequence, attempt.cmi["exit"]) == (1, "suspend")
    # Scores beyond what the attempt's NUMERIC columns hold are left out.
    core = {"lesson_status": "failed", "score": {"raw": "99999999.99999", "max": "1E+999999"}}
    answer = client.post(url, json=body({"core": core}, 2**31 - 1))
    assert answer.get_json() == {"result": True, "errorCode": 0, "sequence": 2**31 - 1}
    db.refresh(attempt)
    assert (attempt.success, attempt.score_raw) == ("failed", None)


def test_a_launch_the_item_was_launched_again_after_is_told_it_is_not_saved(
    client, db, login, learner
):
    login(learner)
    first = start(client)
    old_url = f"/learn/package-commits/{token_of(client, first)}"
    assert (
        client.post(old_url, json=body({"core": {"lesson_location": "p2"}}, 2)).status_code == 200
    )
    # A late beacon of the same launch: nothing to save, so no error.
    late = client.post(old_url, json=body({"core": {"lesson_location": "p1"}}, 1))
    assert late.get_json() == {"result": True, "errorCode": 0, "sequence": 1}
    second = start(client)  # another window opens the item again
    answer = client.post(old_url, json=body({"core": {"lesson_location": "tab-1"}}, 3))
    assert answer.status_code == 409
    assert answer.get_json() == {"result": False, "errorCode": 391, "superseded": True}
    new_url = f"/learn/package-commits/{token_of(client, second)}"
    cmi = {"core": {"lesson_location": "tab-2"}}
    assert client.post(new_url, json=body(cmi, 3)).get_json()["result"] is True
    attempt = db.scalar(select(PackageAttempt).where(PackageAttempt.user_id == learner.id))
    db.refresh(attempt)
    assert attempt.location == "tab-2"
    # The player has a calm text for it.
    texts = player_config(client.get(second, headers=EN).get_data(as_text=True))["texts"]
    assert texts["superseded"].startswith("Not saved: this part is open in another window")


def test_only_the_owner_may_commit(app, client, db, login, learner, world):
    login(learner)
    token = token_of(client, start(client))
    other = world.a.employees[1]
    with app.test_client() as someone_else:
        login(other, target=someone_else)
        answer = someone_else.post(f"/learn/package-commits/{token}", json=body({}, 1))
        assert answer.status_code == 403


def test_a_commit_every_second_passes_the_rate_limit(client, login, learner):
    login(learner)
    token = token_of(client, start(client))
    for sequence in range(1, 62):
        answer = client.post(f"/learn/package-commits/{token}", json=body({"core": {}}, sequence))
        assert answer.status_code == 200, sequence


# --- Package files ------------------------------------------------------------------


def test_files_without_a_package_origin_are_sandboxed_on_lernwerks_host(client, login, learner):
    login(learner)
    player = start(client)
    token = token_of(client, player)
    response = client.get(f"/package-files/{token}/index.html")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts allow-forms allow-popups")
    assert "allow-same-origin" not in policy
    # No frame-ancestors: no list can match a sandboxed (opaque) ancestor, and a
    # frameset package's pages frame one another (tests/e2e/test_packages.py).
    assert "frame-ancestors" not in policy
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"].startswith("private, max-age=")
    assert "Set-Cookie" not in response.headers
    page = response.get_data(as_text=True)
    shim = (
        f'<head><script src="/package-files/{token}/__lernwerk__/cross-frame-api.min.js">'
        f'</script><script src="/package-files/{token}/__lernwerk__/package-api.js" '
        f'data-lms-origin="http://localhost" data-api-key="{api_key(token)}"></script>'
    )
    assert shim in page
    # The player has the same key: it answers the package's own pages only.
    assert player_config(client.get(player).get_data(as_text=True))["apiKey"] == api_key(token)
    script = client.get(f"/package-files/{token}/sco.js")
    assert script.status_code == 200 and b"__lernwerk__" not in script.data
    part = client.get(f"/package-files/{token}/sco.js", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.data == script.data[:10]
    api = client.get(f"/package-files/{token}/__lernwerk__/package-api.js")
    assert api.status_code == 200 and b"CrossFrameAPI" in api.data
    api.close()


def test_a_long_file_is_sent_whole_or_by_the_range_a_player_asks_for(
    client, db, login, learner
):
    login(learner)
    token = token_of(client, start(client))
    # A film of 2.5 MiB in the launched package: longer than one part
    # (storage.PART_BYTES), so it is read part by part.
    film = bytes(range(256)) * (10 * 1024) + b"Ende"
    attempt = db.scalar(select(PackageAttempt))
    version = db.get(CourseVersion, attempt.version_id)
    store_package_files(db, version, attempt.package, {"media/film.mp4": film})
    url = f"/package-files/{token}/media/film.mp4"
    whole = client.get(url)
    assert whole.status_code == 200 and whole.data == film
    assert whole.headers["Content-Length"] == str(len(film))
    assert whole.headers["Content-Type"] == "video/mp4"
    assert whole.headers["Accept-Ranges"] == "bytes"
    etag = whole.headers["ETag"]
    assert "sandbox" in whole.headers["Content-Security-Policy"]
    # A seek into the middle: exactly the bytes asked for, across a part's border.
    middle = client.get(url, headers={"Range": "bytes=1000000-2200000"})
    assert middle.status_code == 206 and middle.data == film[1000000:2200001]
    assert middle.headers["Content-Range"] == f"bytes 1000000-2200000/{len(film)}"
    # From a point to the end, the last bytes, one byte.
    rest = client.get(url, headers={"Range": "bytes=2000000-"})
    assert rest.status_code == 206 and rest.data == film[2000000:]
    assert client.get(url, headers={"Range": "bytes=-4"}).data == b"Ende"
    assert client.get(url, headers={"Range": "bytes=5-5"}).data == film[5:6]
    longer = client.get(url, headers={"Range": f"bytes=-{len(film) + 10}"})  # all of it
    assert longer.status_code == 206 and longer.data == film
    assert longer.headers["Content-Range"] == f"bytes 0-{len(film) - 1}/{len(film)}"
    # HEAD: the length and type, nothing read or sent.
    head = client.head(url)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(film))
    # Past the end: 416 with the length; several ranges, or a range of a changed file
    # (If-Range): the whole file.
    beyond = client.get(url, headers={"Range": f"bytes={len(film)}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(film)}"
    several = client.get(url, headers={"Range": "bytes=0-1,5-6"})
    assert several.status_code == 200 and several.data == film
    other = client.get(url, headers={"Range": "bytes=0-1", "If-Range": '"anders"'})
    assert other.status_code == 200 and other.data == film
    weak = client.get(url, headers={"Range": "bytes=0-1", "If-Range": f"W/{etag}"})
    assert weak.status_code == 200 and weak.data == film  # If-Range compares strongly
    same = client.get(url, headers={"Range": "bytes=0-1", "If-Range": etag})
    assert same.status_code == 206 and same.data == film[:2]
    # What the browser has is still good.
    kept = client.get(url, headers={"If-None-Match": etag})
    assert kept.status_code == 304 and kept.data == b""
    assert kept.headers["ETag"] == etag
    # A proxy that compressed the answer may have weakened the ETag: still good.
    assert client.get(url, headers={"If-None-Match": f"W/{etag}"}).status_code == 304


def test_files_need_a_valid_token(client, login, learner):
    login(learner)
    token = token_of(client, start(client))
    assert client.get("/package-files/nope/index.html").status_code == 404
    assert client.get(f"/package-files/{token}/missing.html").status_code == 404
    assert client.get(f"/package-files/{token}/__lernwerk__/other.js").status_code == 404


def test_on_the_package_origin_only_files_answer_and_no_cookie_is_set(
    app, client, login, learner, own_origin
):
    login(learner)
    token = token_of(client, start(client))
    # On Lernwerk's own host the files are not served when they have an origin.
    assert client.get(f"/package-files/{token}/index.html").status_code == 404
    with app.test_client() as package_host:
        response = package_host.get(f"/package-files/{token}/index.html", base_url=PACKAGE_ORIGIN)
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
        assert "allow-same-origin" in policy
        # Lernwerk's origin is BASE_URL's: only its player may frame the package.
        assert f"frame-ancestors {app.config['BASE_URL'].rstrip('/')}" in policy
        assert "Set-Cookie" not in response.headers
        for path in ("/", "/login", "/learn/", f"/learn/package-commits/{token}"):
            other = package_host.get(path, base_url=PACKAGE_ORIGIN)
            assert other.status_code == 404, path
            assert "Set-Cookie" not in other.headers, path
        posted = package_host.post("/login", base_url=PACKAGE_ORIGIN, data={"email": "x"})
        assert posted.status_code == 404 and "Set-Cookie" not in posted.headers


def test_an_expired_launch_serves_nothing(app, client, db, login, learner):
    login(learner)
    token = token_of(client, start(client))
    launch = db.scalar(select(PackageLaunch))
    launch.expires_at = datetime(2020, 1, 1, tzinfo=UTC)
    db.flush()
    assert client.get(f"/package-files/{token}/index.html").status_code == 404


# --- Pieces -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (b'<html><HEAD lang="de"><title>x</title>', b'<html><HEAD lang="de">S<title>x</title>'),
        (b"<!DOCTYPE html>\n<p>x</p>", b"<!DOCTYPE html>S\n<p>x</p>"),
        (b"<p>x</p>", b"S<p>x</p>"),
        (b"<html><header>x</header>", b"S<html><header>x</header>"),
    ],
)
def test_the_runtime_scripts_go_right_after_head(html, expected):
    assert with_runtime_scripts(html, b"S") == expected


@pytest.mark.parametrize(
    ("origin", "production", "problem"),
    [
        (None, True, None),
        ("https://pakete.example.org", True, None),
        ("http://localhost:5001", False, None),
        ("http://pakete.example.org", True, "https"),
        ("https://pakete.example.org/files", True, "origin only"),
        ("ftp://pakete.example.org", False, "origin only"),
        ("https://user@pakete.example.org", False, "origin only"),
        ("https://lernwerk.example.org", True, "LMS_BASE_URL"),
        # Another port of Lernwerk's host: cookies do not tell ports apart.
        ("https://lernwerk.example.org:8443", True, "LMS_BASE_URL"),
    ],
)
def test_the_package_origin_setting_is_checked(origin, production, problem):
    settings = {"PACKAGE_ORIGIN": origin, "BASE_URL": "https://lernwerk.example.org/"}
    problems = package_origin_problems(settings, https_only=production)
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0]


CMI5_UNIT = """\
---
type: package
title: Brandschutz (cmi5)
minutes: 10
package: packages/cmi5.zip
---
Ein cmi5-Paket.
"""


def test_a_cmi5_au_is_framed_with_its_launch_parameters(app, client, db, tmp_path, login, learner):
    folder = write_course(tmp_path / "cmi5", {"02-cmi5.md": CMI5_UNIT}, slug="cmi5kurs")
    courses_with_packages(folder.parent, tmp_path / "built")
    with app.test_request_context():
        import_course(db, tmp_path / "built" / folder.name, datetime.now(UTC))
    course = db.scalar(select(Course).where(Course.slug == "cmi5kurs"))
    learning.enroll(db, learner, course, datetime.now(UTC))
    db.flush()
    login(learner)
    item = "https://lernwerk.example/tests/cmi5/brandschutz/check"
    page = client.get(start(client, "/learn/courses/cmi5kurs/cmi5", item)).get_data(as_text=True)
    config = player_config(page)
    assert config["standard"] == "cmi5" and config["runtime"] is None
    url = urlsplit(config["launchUrl"])
    assert url.path.startswith("/package-files/") and url.path.endswith("/check.html")
    query = parse_qs(url.query)
    assert query["part"] == ["check"]  # the AU's own parameters stay
    assert query["endpoint"][0].endswith("/xapi/cmi5/")
    assert "fetch" in query and "registration" in query and "actor" in query
    assert "scorm12.min.js" not in page and "cross-frame-lms" not in page


def test_a_refused_commit_is_logged_without_the_launch_token(client, login, learner, caplog):
    # The token is the launch's key for hours: the app's log (a rolled-back request)
    # names the path with the token masked, as the access log does.
    import logging

    login(learner)
    token = token_of(client, start(client))
    with caplog.at_level(logging.INFO):
        answer = client.post(f"/learn/package-commits/{token}", json=[1, 2])
    assert answer.status_code == 400
    assert "/learn/package-commits/***" in caplog.text and token not in caplog.text
