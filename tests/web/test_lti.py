"""LTI 1.3 launches from a test platform (tests/lti_platform.py, keys made here): the
login initiation sends the browser on to the platform with a state and nonce, the test
signs the ID token as the platform would, the launch signs the person in, enrols them
and keeps the grade link; a completion sends the score back with a valid bearer token.
Forged, expired, replayed, misaddressed and foreign launches are refused and leave
nothing behind."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lms import outbound
from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.lti import keys, protocol, service
from lms.models import (
    AuditEntry,
    Course,
    CourseCompany,
    Enrollment,
    OutboxMessage,
    Role,
    User,
)
from lms.models.lti import LtiGradeLink, LtiIdentity, LtiLaunchState
from lms.secret_box import open_sealed
from lms.sso.service import NO_PASSWORD
from tests import lti_platform
from tests.lti_platform import CLIENT_ID, DEPLOYMENT_ID, LtiPlatformServer, redirect_params
from tests.unit.test_course_parser import write_course
from tests.web.test_learn import LESSON_2

EN = {"Accept-Language": "en"}
TARGET = "http://localhost/learn/courses/testkurs"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def course(app, db, tmp_path):
    """A module of two lessons, "einstieg" and "vertiefung"."""
    folder = write_course(tmp_path, {"02-vertiefung.md": LESSON_2})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


@pytest.fixture
def platform_server():
    with LtiPlatformServer() as server:
        yield server


def register(app, db, world, server, company=None, client_id=CLIENT_ID):
    company = company or world.a.company
    fields = service.PlatformFields(
        name="Moodle Alpha",
        issuer=server.issuer,
        client_id=client_id,
        deployment_ids=(DEPLOYMENT_ID,),
        auth_login_url=server.auth_url,
        token_url=server.token_url,
        jwks_url=server.jwks_url,
    )
    with app.app_context():
        return service.create_platform(db, Actor(world.admin), company, fields, NOW)


def login_init(client, server, target=TARGET, **extra):
    """The platform's login initiation; the state and nonce of the redirect."""
    data = {
        "iss": server.issuer,
        "login_hint": "user-7",
        "target_link_uri": target,
        "lti_message_hint": "hint-42",
        "client_id": CLIENT_ID,
        "lti_deployment_id": DEPLOYMENT_ID,
    } | extra
    response = client.post("/lti/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.startswith(server.auth_url + "?")
    return redirect_params(response.location)


def launch(client, server, target=TARGET, headers=None, **claims):
    params = login_init(client, server, target)
    token = server.id_token(nonce=params["nonce"], target=target, **claims)
    response = client.post(
        "/lti/launch", data={"id_token": token, "state": params["state"]}, headers=headers or EN
    )
    return response, params, token


def signed_in_as(client):
    """The id of the person the client's session is signed in as, or None."""
    with client.session_transaction() as state:
        user = state.get("_user_id")
    return int(user.split(":")[0]) if user else None


def counts(db):
    return (
        db.scalar(select(func.count()).select_from(User)),
        db.scalar(select(func.count()).select_from(Enrollment)),
        db.scalar(select(func.count()).select_from(LtiIdentity)),
        db.scalar(select(func.count()).select_from(LtiGradeLink)),
    )


def test_login_initiation_sends_the_browser_on_with_state_and_nonce(
    app, client, db, world, platform_server, course
):
    register(app, db, world, platform_server)
    params = login_init(client, platform_server)
    assert params["scope"] == "openid"
    assert params["response_type"] == "id_token"
    assert params["response_mode"] == "form_post"
    assert params["prompt"] == "none"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://localhost/lti/launch"
    assert params["login_hint"] == "user-7" and params["lti_message_hint"] == "hint-42"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    stored = db.scalar(select(LtiLaunchState).where(LtiLaunchState.state == params["state"]))
    assert stored is not None and stored.nonce == params["nonce"] and stored.used_at is None
    # Without a client ID the issuer's only platform is meant (GET works too).
    response = client.get(
        "/lti/login",
        query_string={"iss": platform_server.issuer, "login_hint": "x", "target_link_uri": TARGET},
    )
    assert response.status_code == 302 and response.location.startswith(platform_server.auth_url)


def test_an_unknown_platform_gets_a_clear_page(app, client, db, world, platform_server):
    response = client.post(
        "/lti/login",
        data={"iss": "https://unknown.example", "login_hint": "x", "target_link_uri": TARGET},
        headers=EN,
    )
    assert response.status_code == 400
    assert "does not know this learning platform" in response.get_data(as_text=True)
    german = client.post(
        "/lti/login",
        data={"iss": "https://unknown.example", "login_hint": "x", "target_link_uri": TARGET},
        headers={"Accept-Language": "de"},
    )
    assert german.status_code == 400


def test_a_launch_creates_signs_in_enrols_and_a_second_launch_finds_the_same_person(
    app, client, db, world, platform_server, course
):
    platform = register(app, db, world, platform_server)
    response, _params, _token = launch(client, platform_server)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.location.endswith("/learn/courses/testkurs")
    person = db.scalar(select(User).where(User.email == "mia@moodle.example"))
    assert person is not None and person.company_id == world.a.company.id
    assert person.display_name == "Mia Moodle" and person.password_hash == NO_PASSWORD
    assert [role for role in Role if person.has_role(role)] == [Role.LEARNER]
    assert db.scalar(select(Enrollment).where(Enrollment.user_id == person.id)) is not None
    link = db.scalar(select(LtiGradeLink).where(LtiGradeLink.user_id == person.id))
    assert link.lineitem == platform_server.lineitem() and link.subject == "moodle-user-7"
    assert link.platform_id == platform.id and link.course_id == course.id
    # Signed in: the module's page opens.
    page = client.get("/learn/courses/testkurs", headers=EN)
    assert page.status_code == 200 and "Testkurs" in page.get_data(as_text=True)
    created = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "person.create", AuditEntry.subject_id == person.id
        )
    )
    assert created is not None and created.actor_name == "LTI: Moodle Alpha"

    # The second launch (another browser) finds the same person by the platform's sub,
    # even with another address.
    other = app.test_client()
    again, _params, _token = launch(other, platform_server, email="mia.new@moodle.example")
    assert again.status_code == 302
    assert db.scalar(
        select(func.count()).select_from(User).where(User.company_id == world.a.company.id)
    ) == (len(world.a.employees) + 2 + 1)
    assert db.scalar(select(func.count()).select_from(LtiIdentity)) == 1


def test_an_existing_person_of_the_company_is_matched_by_address(
    app, client, db, world, platform_server, course
):
    register(app, db, world, platform_server)
    known = world.a.employees[0]
    response, _params, _token = launch(client, platform_server, email=known.email.upper())
    assert response.status_code == 302
    identity = db.scalar(select(LtiIdentity))
    assert identity.user_id == known.id


def test_without_an_address_the_learner_is_created_with_a_personnel_number(
    app, client, db, world, platform_server, course
):
    register(app, db, world, platform_server)
    response, _params, _token = launch(client, platform_server, email=None, name=None,
                                       given_name="Paul", family_name="Plattform")  # fmt: skip
    assert response.status_code == 302
    person = db.get(User, db.scalar(select(LtiIdentity.user_id)))
    assert person.email is None and person.personnel_number.startswith("LTI-")
    assert person.display_name == "Paul Plattform" and person.company_id == world.a.company.id


def test_completion_sends_the_score_with_a_valid_bearer_token(
    app, client, db, world, platform_server, course
):
    register(app, db, world, platform_server)
    response, _params, _token = launch(client, platform_server)
    assert response.status_code == 302
    platform_server.tool_keys = client.get("/lti/jwks").get_json()
    assert platform_server.tool_keys["keys"][0]["kty"] == "RSA"
    assert "d" not in platform_server.tool_keys["keys"][0]  # never the private part
    client.post("/learn/courses/testkurs/einstieg/done")
    assert db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "lti_score")) is None
    client.post("/learn/courses/testkurs/vertiefung/done")
    (row,) = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "lti_score")).all()
    assert row.recipient == f"{platform_server.issuer}/lineitems/1/lineitem/scores?type_id=7"

    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    (score,) = platform_server.scores
    assert score["userId"] == "moodle-user-7"
    assert score["scoreGiven"] == 1 and score["scoreMaximum"] == 1
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert datetime.fromisoformat(score["timestamp"])
    assert platform_server.score_headers[0]["path"] == "/lineitems/1/lineitem/scores?type_id=7"
    (request, valid) = platform_server.token_requests[0]
    assert valid and request["grant_type"] == ["client_credentials"]
    db.refresh(row)
    assert row.sent_at is not None and row.response_status == 200


def test_the_access_token_is_kept_until_it_expires(app, db, world, platform_server):
    platform_server.tool_keys = {"keys": []}
    with app.app_context():
        key = keys.signing_key(db, NOW)
        platform_server.tool_keys = keys.published_keys(db)
        private = open_sealed(key.private_key)

        def assertion():
            return protocol.client_assertion(
                private, key.kid, CLIENT_ID, platform_server.token_url, datetime.now(UTC)
            )

        http = outbound.session()
        first = protocol.access_token(http, platform_server.token_url, CLIENT_ID, assertion)
        second = protocol.access_token(http, platform_server.token_url, CLIENT_ID, assertion)
    assert first == second and len(platform_server.token_requests) == 1


def test_a_refused_score_is_tried_again_later(app, client, db, world, platform_server, course):
    register(app, db, world, platform_server)
    launch(client, platform_server)
    platform_server.tool_keys = {"keys": []}  # the platform does not know the tool's key
    client.post("/learn/courses/testkurs/einstieg/done")
    client.post("/learn/courses/testkurs/vertiefung/done")
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 1
    row = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "lti_score"))
    db.refresh(row)
    assert row.sent_at is None and row.failed_at is None and row.attempts == 1
    assert "refused" in row.last_error and row.send_after > datetime.now(UTC)
    assert platform_server.scores == []


def _refused(db, response, before, status=400):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert counts(db) == before


@pytest.mark.parametrize(
    ("claims", "text"),
    [
        ({"aud": "another-tool"}, "meant for a different tool"),
        ({"aud": ["another-tool", CLIENT_ID]}, "meant for a different tool"),
        ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "expired"),
        ({lti_platform.CLAIM + "deployment_id": "deployment-other"}, "deployment"),
        ({lti_platform.CLAIM + "message_type": "LtiDeepLinkingRequest"}, "modules only"),
        ({lti_platform.CLAIM + "version": "1.1"}, "modules only"),
        ({"iss": "https://evil.example"}, "different platform"),
    ],
)
def test_misaddressed_launches_are_refused_and_leave_nothing(
    app, client, db, world, platform_server, course, claims, text
):
    register(app, db, world, platform_server)
    before = counts(db)
    response, _params, _token = launch(client, platform_server, **claims)
    _refused(db, response, before)
    assert text in response.get_data(as_text=True)


def test_a_forged_launch_is_refused(app, client, db, world, platform_server, course):
    register(app, db, world, platform_server)
    before = counts(db)
    # Signed with a key the platform does not publish, under its own name and under
    # the platform's key id.
    for kid in (None, platform_server.key.kid):
        response, _params, _token = launch(
            client, platform_server, key=platform_server.other_key, kid=kid
        )
        _refused(db, response, before)
        assert "not signed by your learning platform" in response.get_data(as_text=True)
    # An unsigned token ("alg": "none") neither.
    params = login_init(client, platform_server)
    good = platform_server.id_token(nonce=params["nonce"], target=TARGET)
    import base64
    import json

    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
    unsigned = header + "." + good.split(".")[1] + "."
    response = client.post("/lti/launch", data={"id_token": unsigned, "state": params["state"]})
    _refused(db, response, before)


def test_a_replayed_launch_is_refused(app, client, db, world, platform_server, course):
    register(app, db, world, platform_server)
    response, params, token = launch(client, platform_server)
    assert response.status_code == 302
    before = counts(db)
    # The same state again.
    other = app.test_client()
    again = other.post(
        "/lti/launch", data={"id_token": token, "state": params["state"]}, headers=EN
    )
    _refused(db, again, before)
    assert "already used" in again.get_data(as_text=True)
    # The same token (its nonce) with a new state.
    fresh = login_init(other, platform_server)
    replay = other.post(
        "/lti/launch", data={"id_token": token, "state": fresh["state"]}, headers=EN
    )
    _refused(db, replay, before)
    # An unknown state.
    unknown = other.post("/lti/launch", data={"id_token": token, "state": "made-up"})
    _refused(db, unknown, before)


def test_an_expired_state_is_refused(app, client, db, world, platform_server, course):
    register(app, db, world, platform_server)
    before = counts(db)
    params = login_init(client, platform_server)
    pending = db.scalar(select(LtiLaunchState).where(LtiLaunchState.state == params["state"]))
    pending.expires_at = datetime.now(UTC).replace(year=2020)
    db.flush()
    token = platform_server.id_token(nonce=params["nonce"], target=TARGET)
    response = client.post("/lti/launch", data={"id_token": token, "state": params["state"]})
    _refused(db, response, before)


def test_a_module_the_company_does_not_see_or_a_foreign_target_is_refused(
    app, client, db, world, platform_server, course
):
    register(app, db, world, platform_server)
    before = counts(db)
    response, _p, _t = launch(
        client, platform_server, target="http://localhost/learn/courses/nichts"
    )
    _refused(db, response, before)
    elsewhere = "https://elsewhere.example/learn/courses/testkurs"
    response, _p, _t = launch(client, platform_server, target=elsewhere)
    _refused(db, response, before)
    course.shared = False
    db.add(CourseCompany(course_id=course.id, company_id=world.b.company.id))
    db.flush()
    response, _p, _t = launch(client, platform_server)
    _refused(db, response, before)
    assert "not open to your company" in response.get_data(as_text=True)


def test_a_refused_launch_inside_the_platforms_frame_shows_why_there(
    app, client, db, world, platform_server, course
):
    register(app, db, world, platform_server)
    nowhere = "http://localhost/learn/courses/nichts"
    framed, _p, _t = launch(
        app.test_client(),
        platform_server,
        target=nowhere,
        headers=EN | {"Sec-Fetch-Dest": "iframe"},
    )
    assert framed.status_code == 400
    assert "did not work" in framed.get_data(as_text=True)
    # The platform, and only it, may show the page in its frame; the browser would
    # block Lernwerk's pages there otherwise.
    directives = [d.strip() for d in framed.headers["Content-Security-Policy"].split(";")]
    assert f"frame-ancestors {platform_server.issuer}" in directives
    # Outside a frame, and with no platform known (a state nobody began), no frame at all.
    alone, _p, _t = launch(app.test_client(), platform_server, target=nowhere, headers=EN)
    assert "frame-ancestors 'none'" in alone.headers["Content-Security-Policy"]
    unknown = app.test_client().post(
        "/lti/launch",
        data={"id_token": "x.y.z", "state": "unbekannt"},
        headers=EN | {"Sec-Fetch-Dest": "iframe"},
    )
    assert unknown.status_code == 400
    assert "frame-ancestors 'none'" in unknown.headers["Content-Security-Policy"]


def test_another_companys_platform_cannot_launch_into_this_company(
    app, client, db, world, platform_server, course
):
    """Company B's platform names the address of a person of company A: a new learner of
    company B, never A's account."""
    register(app, db, world, platform_server, company=world.b.company)
    known = world.a.employees[0]
    response, _params, _token = launch(client, platform_server, email=known.email)
    assert response.status_code == 302
    identity = db.scalar(select(LtiIdentity))
    person = db.get(User, identity.user_id)
    assert person.id != known.id and person.company_id == world.b.company.id
    assert person.email is None  # the address is A's person's
    # And a link made for company B never signs in a person moved to company A since.
    person.company_id = world.a.company.id
    db.flush()
    before = counts(db)
    response, _params, _token = launch(app.test_client(), platform_server)
    _refused(db, response, before, status=403)


def _continue_url(page):
    import re

    return re.search(r'href="(http://localhost/lti/continue/[^"]+)"', page).group(1)


def test_a_framed_launch_offers_a_new_window_that_signs_in_once_confirmed(
    app, client, db, world, platform_server, course
):
    register(app, db, world, platform_server)
    # Inside the platform's frame the browser may keep no cookie of Lernwerk's (third-
    # party cookies blocked): a framed launch needs none of the login's, as it signs
    # nobody in.
    params = login_init(client, platform_server)
    frame = app.test_client()
    response = frame.post(
        "/lti/launch",
        data={"id_token": platform_server.id_token(nonce=params["nonce"], target=TARGET),
              "state": params["state"]},
        headers=EN | {"Sec-Fetch-Dest": "iframe"},
    )  # fmt: skip
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    page = response.get_data(as_text=True)
    assert "Open in a new window" in page and 'target="_blank"' in page
    assert (
        f"frame-ancestors {platform_server.issuer}" in response.headers["Content-Security-Policy"]
    )
    # Not signed in inside the frame (no cookie would stick there).
    assert frame.get("/learn/courses/testkurs").status_code == 302
    url = _continue_url(page)

    # Opening the link signs nobody in and keeps the ticket: it names who continues.
    window = app.test_client()
    opened = window.get(url, headers=EN)
    assert opened.status_code == 200
    text = opened.get_data(as_text=True)
    assert "Continue as Mia Moodle" in text and 'method="post"' in text
    assert "signed in to Lernwerk as" not in text
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    assert window.get("/learn/courses/testkurs").status_code == 302
    assert app.test_client().get(url, headers=EN).status_code == 200  # still unused

    # The button signs the person in, once.
    confirmed = window.post(url, headers=EN)
    assert confirmed.status_code == 302 and confirmed.location.endswith("/learn/courses/testkurs")
    assert window.get("/learn/courses/testkurs").status_code == 200
    assert app.test_client().get(url, headers=EN).status_code == 400
    late = app.test_client()
    assert late.post(url, headers=EN).status_code == 400
    assert late.get("/learn/courses/testkurs").status_code == 302


def test_the_continue_page_says_who_is_signed_in_and_wants_the_csrf_token(
    app, client, db, world, login, platform_server, course
):
    register(app, db, world, platform_server)
    response, _params, _token = launch(
        client, platform_server, headers=EN | {"Sec-Fetch-Dest": "iframe"}
    )
    url = _continue_url(response.get_data(as_text=True))
    # A browser signed in as someone else: the page says so, and its GET changes nothing.
    browser = login(world.a.manager, target=app.test_client())
    app.config["WTF_CSRF_ENABLED"] = True
    page = browser.get(url, headers=EN).get_data(as_text=True)
    assert "Continue as Mia Moodle" in page
    assert f"This browser is signed in to Lernwerk as {world.a.manager.display_name}" in page
    assert signed_in_as(browser) == world.a.manager.id
    # A post without the page's CSRF token (a form on another site) neither uses the
    # ticket nor signs anyone in.
    forged = browser.post(url, headers=EN)
    assert forged.status_code == 400
    assert "could not be checked" in forged.get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    confirmed = browser.post(url, data={"csrf_token": token}, headers=EN)
    assert confirmed.status_code == 302 and confirmed.location.endswith("/learn/courses/testkurs")
    person = db.scalar(select(User).where(User.email == "mia@moodle.example"))
    assert signed_in_as(browser) == person.id


def _state_cookie_header(response):
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("lms_lti_")]
    return header


def test_a_launch_posted_from_another_browser_signs_nobody_in(
    app, client, db, world, platform_server, course, caplog
):
    """Login CSRF: someone begins a launch in their own browser and makes another
    browser post their ID token and state (a form on their site). Refused there; the
    browser that began it still gets in."""
    import hashlib

    register(app, db, world, platform_server)
    params = login_init(client, platform_server)
    digest = hashlib.sha256(params["state"].encode()).hexdigest()[:16]
    cookie = client.get_cookie(f"lms_lti_{digest}", path="/lti/")
    assert cookie is not None and len(cookie.value) == 64 and params["state"] not in cookie.value
    header = _state_cookie_header(client.post("/lti/login", data={
        "iss": platform_server.issuer, "login_hint": "x", "target_link_uri": TARGET,
        "client_id": CLIENT_ID}))  # fmt: skip
    assert "HttpOnly" in header and "Path=/lti/" in header and "Max-Age=600" in header
    token = platform_server.id_token(nonce=params["nonce"], target=TARGET)
    before = counts(db)

    victim = app.test_client()
    posted = victim.post(
        "/lti/launch",
        data={"id_token": token, "state": params["state"]},
        headers=EN | {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document"},
    )
    _refused(db, posted, before)
    assert "did not start in this browser" in posted.get_data(as_text=True)
    assert signed_in_as(victim) is None
    assert "lti launch refused: other-browser" in caplog.text.lower()
    assert "another browser" in caplog.text

    # The browser that began the launch gets in, and its cookie is cleared.
    own = client.post("/lti/launch", data={"id_token": token, "state": params["state"]})
    assert own.status_code == 302, own.get_data(as_text=True)[:500]
    assert own.location.endswith("/learn/courses/testkurs")
    assert signed_in_as(client) is not None
    assert client.get_cookie(f"lms_lti_{digest}", path="/lti/") is None


def test_the_launch_cookie_is_secure_and_cross_site_over_https(
    app, client, db, world, platform_server, course
):
    register(app, db, world, platform_server)
    data = {"iss": platform_server.issuer, "login_hint": "x", "target_link_uri": TARGET}
    header = _state_cookie_header(
        client.post("/lti/login", data=data, base_url="https://localhost")
    )
    assert "Secure" in header and "SameSite=None" in header and "HttpOnly" in header
    app.config["SESSION_COOKIE_SECURE"] = True  # behind a proxy that ends TLS
    header = _state_cookie_header(client.post("/lti/login", data=data))
    assert "Secure" in header and "SameSite=None" in header
    app.config["SESSION_COOKIE_SECURE"] = False  # plain HTTP (development): no SameSite
    header = _state_cookie_header(client.post("/lti/login", data=data))
    assert "Secure" not in header and "SameSite" not in header


def test_a_managers_address_on_a_new_account_is_refused_and_nothing_linked(
    app, client, db, world, platform_server, course, caplog
):
    """A platform's e-mail claim is not verified: whoever sets a manager's address in
    their platform profile must not get the manager's account."""
    register(app, db, world, platform_server)
    for person in (world.a.manager, world.a.limited_manager, world.trainer, world.admin):
        before = counts(db)
        browser = app.test_client()
        response, _params, _token = launch(browser, platform_server, email=person.email,
                                           sub=f"attacker-{person.id}")  # fmt: skip
        _refused(db, response, before, status=403)
        assert "An account with this e-mail address exists" in response.get_data(as_text=True)
        assert signed_in_as(browser) is None
        assert f"is person {person.id}'s, who is not a learner only" in caplog.text
    # A learner with a second factor is not linked either.
    learner = world.a.employees[2]
    from tests.two_factor_helpers import give_second_factor

    with app.app_context():
        give_second_factor(learner)
    db.flush()
    before = counts(db)
    response, _params, _token = launch(app.test_client(), platform_server, email=learner.email)
    _refused(db, response, before, status=403)
    assert db.scalar(select(LtiIdentity)) is None


def test_a_learner_only_address_links_the_learner(app, client, db, world, platform_server, course):
    register(app, db, world, platform_server)
    learner = world.a.employees[1]
    assert learner.roles == {Role.LEARNER}
    response, _params, _token = launch(client, platform_server, email=learner.email)
    assert response.status_code == 302
    assert db.scalar(select(LtiIdentity.user_id)) == learner.id
    assert signed_in_as(client) == learner.id


def test_a_linked_person_with_a_second_factor_is_not_signed_in(
    app, client, db, world, platform_server, course
):
    register(app, db, world, platform_server)
    learner = world.a.employees[0]
    assert launch(client, platform_server, email=learner.email)[0].status_code == 302
    # Made a trainer since, with a second factor: the platform's word is not enough.
    from tests.two_factor_helpers import give_second_factor

    learner.grant(Role.TRAINER)
    with app.app_context():
        give_second_factor(learner)
    db.flush()
    browser = app.test_client()
    before = counts(db)
    response, _params, _token = launch(browser, platform_server, email=None)
    _refused(db, response, before, status=403)
    assert "second factor" in response.get_data(as_text=True)
    assert signed_in_as(browser) is None
    # Nor through a framed launch's ticket made before (as a learner only).
    learner.totp_confirmed_at = None
    learner.revoke(Role.TRAINER)
    db.flush()
    framed, _params, _token = launch(
        browser, platform_server, headers=EN | {"Sec-Fetch-Dest": "iframe"}
    )
    url = _continue_url(framed.get_data(as_text=True))
    with app.app_context():
        give_second_factor(learner)
    db.flush()
    assert browser.get(url, headers=EN).status_code == 403
    assert browser.post(url, headers=EN).status_code == 403
    assert signed_in_as(browser) is None


def test_a_linked_learner_made_a_manager_since_is_not_signed_in(
    app, client, db, world, platform_server, course
):
    # Linked as a learner; a manager since (without a second factor): the platform's
    # word must not open an account with more rights than a learner's, not even through
    # a framed launch's ticket made while they were a learner.
    register(app, db, world, platform_server)
    learner = world.a.employees[0]
    assert launch(client, platform_server, email=learner.email)[0].status_code == 302
    framed, _params, _token = launch(
        app.test_client(), platform_server, headers=EN | {"Sec-Fetch-Dest": "iframe"}
    )
    url = _continue_url(framed.get_data(as_text=True))
    learner.grant(Role.MANAGER)
    db.flush()
    browser = app.test_client()
    before = counts(db)
    response, _params, _token = launch(browser, platform_server, email=None)
    _refused(db, response, before, status=403)
    assert "more rights than a learner" in response.get_data(as_text=True)
    assert signed_in_as(browser) is None
    assert browser.get(url, headers=EN).status_code == 403
    assert browser.post(url, headers=EN).status_code == 403
    assert signed_in_as(browser) is None


def test_the_jwks_names_one_stable_key(app, client, db):
    first = client.get("/lti/jwks")
    second = client.get("/lti/jwks")
    assert first.status_code == 200 and first.mimetype == "application/json"
    assert first.get_json() == second.get_json()
    (key,) = first.get_json()["keys"]
    assert key["kid"] and key["alg"] == "RS256" and key["use"] == "sig" and "d" not in key


def test_the_platforms_keys_are_cached_and_read_again_once_for_a_new_key(
    app, client, db, world, platform_server, course
):
    register(app, db, world, platform_server)
    assert launch(client, platform_server)[0].status_code == 302
    assert launch(app.test_client(), platform_server)[0].status_code == 302
    assert platform_server.jwks_reads == 1  # kept in the one cache
    # The platform rotates its key: a token under the new kid reads the keys again.
    old = platform_server.key
    platform_server.key = platform_server.other_key
    assert launch(app.test_client(), platform_server)[0].status_code == 302
    assert platform_server.jwks_reads == 2
    # Tokens naming made-up keys do not make Lernwerk read the keys again and again.
    response, _p, _t = launch(app.test_client(), platform_server, key=old, kid="made-up")
    assert response.status_code == 400 and platform_server.jwks_reads == 2


def test_a_given_up_score_shows_on_the_platforms_page_and_is_sent_again(
    app, client, db, world, login, platform_server, course
):
    from lms.services.outbox import TRIES

    platform = register(app, db, world, platform_server)
    launch(client, platform_server)
    client.post("/learn/courses/testkurs/einstieg/done")
    client.post("/learn/courses/testkurs/vertiefung/done")
    row = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "lti_score"))
    row.attempts = TRIES - 1  # the last try comes next
    db.flush()
    platform_server.tool_keys = {"keys": []}  # the platform refuses Lernwerk's assertion
    assert app.test_cli_runner().invoke(args=["mail", "send"]).exit_code == 1
    db.refresh(row)
    assert row.failed_at is not None

    admin = app.test_client()
    login(world.admin, target=admin)
    base = f"/admin/companies/{world.a.company.id}/lti/{platform.id}"
    page = admin.get(f"{base}/", headers=EN).get_data(as_text=True)
    assert "Mia Moodle" in page and "failed" in page and "refused" in page
    # Another company's address for the row: 404.
    foreign = f"/admin/companies/{world.b.company.id}/lti/{platform.id}/scores/{row.id}/send-again"
    assert admin.post(foreign).status_code == 404
    assert admin.post(f"{base}/scores/{row.id}/send-again").status_code == 302
    db.refresh(row)
    assert row.failed_at is None and row.attempts == 0
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "lti_score.send_again"))
    platform_server.tool_keys = client.get("/lti/jwks").get_json()
    assert app.test_cli_runner().invoke(args=["mail", "send"]).exit_code == 0
    (score,) = platform_server.scores
    assert score["userId"] == "moodle-user-7"
