"""Deny by default: a walk over every route of the app.

Every non-public route must refuse anonymous users (to the login page), users
without the area's role (403) and, where it takes an id, the objects of
another company (404). A new route is covered automatically; a new public
route must be added to PUBLIC on purpose.
"""

from __future__ import annotations

import pytest

from lms.models import Role
from lms.permissions import is_public_endpoint

PUBLIC = {
    "static",
    "auth.login",
    "auth.forgot_password",
    "auth.reset_password",
    "auth.accept_invitation",
    "main.set_language",
    "main.healthz",
    "main.healthz_live",
    "main.verify",
    # Calendar apps fetch the feed without a login; its secret address is the key.
    "main.calendar_feed",
    # The web app manifest, the service worker and the offline page (lms/offline): the
    # same for everyone, naming no person.
    "offline.manifest",
    "offline.service_worker",
    "offline.offline_page",
    # Signing in with the company's code, a personnel number and a PIN (lms/pins).
    "pins.sign_in",
    # A shared device's start screen and "Fertig" (lms/shared_devices).
    "kiosk.start",
    "kiosk.done",
    # Signing in with a login card or letter: its address (the QR code), the
    # confirmation and the PIN after it, typing its code (lms/login_cards).
    "cards.scan_target",
    "cards.confirm",
    "cards.pin",
    "cards.code",
    # Single sign-on (lms/sso): sending a person to their company's provider, and the
    # provider sending them back (state, PKCE and the ID token checked; test_sso.py).
    "sso.start",
    "sso.callback",
    # LTI 1.3 (lms/lti): a learning platform's login initiation and launch (state,
    # nonce and the platform's signature checked; test_lti.py), the one-time ticket of a
    # framed launch's new window, and Lernwerk's public keys.
    "lti.login",
    "lti.launch",
    "lti.handoff",
    "lti.jwks",
    # A bought package's files and the API shim injected into them (lms/packages/views.py):
    # reached by the launch's secret token alone, on the package origin, which never
    # sees a cookie (404 without a valid token; tests/web/test_package_pages.py).
    "package_files.file",
    "package_files.runtime_script",
    "package_files.returned",
    "package_files.return_script",
    # The REST API (lms/api): no login session; every request needs an API token,
    # checked by the blueprint (401 problem without one; tests/web/test_api.py), and
    # the OpenAPI document, which names no data.
    "api.openapi_document",
    "api.problem_types",
    *(
        f"api.{name}"
        for name in (
            "cancel_assignment", "create_assignment", "create_training_record",
            "get_assignment", "get_booking", "get_completion", "get_course",
            "get_department", "get_learning_path", "get_person", "get_session",
            "get_training_record", "list_assignments", "list_bookings",
            "list_certificates", "list_completions", "list_courses", "list_departments",
            "list_learning_paths", "list_people", "list_sessions", "list_training_records",
        )
    ),
    # SCIM provisioning (lms/scim): no login session; every request needs the company's
    # SCIM token, checked by the blueprint (401 SCIM error without one;
    # tests/web/test_scim.py).
    *(
        f"scim.{name}"
        for name in (
            "create_group", "create_user", "delete_group", "delete_user", "group", "groups",
            "patch_group", "patch_user", "replace_group", "replace_user", "resource_type",
            "resource_types", "schema", "schema_list", "schemas_refused", "search_everything",
            "service_provider_config", "spc_refused", "types_refused", "unknown", "user",
            "users",
        )
    ),
    # The second factor's steps after a right password (lms/two_factor): the person is
    # not signed in yet; without that half-signed-in state they lead to the login page.
    "two_factor.code",
    "two_factor.recovery_code",
    "two_factor.sign_in_set_up",
    # cmi5's statement endpoint (lms/packages/xapi_endpoint.py): no login session; the
    # one-time fetch URL is the launch's secret, every other request needs the auth
    # token it gave (401 without; tests/web/test_xapi_endpoint.py); `about` names no data.
    *(f"xapi_cmi5.{name}" for name in ("fetch", "about", "statements", "state", "agent_profile")),
}

# Roles that may use each guarded area.
AREA_ROLES = {
    "learn": {Role.LEARNER},
    "manage": {Role.MANAGER},
    "author": {Role.TRAINER},
    "admin": {Role.ADMIN},
}

# Routes any logged-in user may reach, whatever their role.
FOR_EVERYONE = {
    "main.index",
    "main.course_asset",
    # Logos and accent colours (lms/company_look): a company's logo only for its people
    # and admins (tests/web/test_company_look.py).
    "main.look.company_logo",
    "main.look.provider_logo",
    "main.look.accent_css",
    "auth.logout",
    "auth.profile",
    "main.calendar_page",
    "main.new_feed",
    "main.stop_feed",
    "auth.change_password",
    # Everyone's own notices (lms/notices/views.py).
    "notices.index",
    "notices.read_all",
    "notices.open_notice",
    # Choosing or changing one's own PIN (lms/pins; 404 for people of no company).
    "pins.choose",
    # kiosk.js reporting input during a kiosk session (lms/shared_devices).
    "kiosk.active",
    # One's own second factor (lms/two_factor; 404 for anyone but admins and trainers).
    "two_factor.settings",
    "two_factor.set_up",
    "two_factor.renew_recovery_codes",
    "two_factor.turn_off",
}


# Pages whose empty POST is a form with errors (422) rather than a redirect.
FORM_PAGES = {"manage.training_records.new", "manage.people.edit"}


def rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _build(rule, ids):
    path = rule.rule
    for arg in rule.arguments:
        value = ids.get(arg, "1")
        path = path.replace(f"<int:{arg}>", str(value)).replace(f"<{arg}>", str(value))
    return path


def request(client, method, path):
    return client.open(path, method=method)


def test_public_endpoints_are_exactly_the_reviewed_ones(app):
    public = {r.endpoint for r in app.url_map.iter_rules() if is_public_endpoint(app, r.endpoint)}
    assert public == PUBLIC


def test_every_route_belongs_to_a_guarded_area_or_is_for_everyone(app):
    for rule in rules(app):
        if rule.endpoint in PUBLIC or rule.endpoint in FOR_EVERYONE:
            continue
        area = rule.endpoint.split(".")[0]
        assert area in AREA_ROLES, f"{rule.endpoint} is in no guarded area"
        guarded = set(getattr(app.blueprints[area], "allowed_roles", ()))
        assert guarded == AREA_ROLES[area], f"{area} is guarded by {guarded}"


def test_anonymous_users_are_sent_to_login_everywhere(app, client, world):
    ids = {
        "user_id": world.a.employees[0].id,
        "company_id": world.a.company.id,
        "slug": "kurs",
        "digest": "0" * 16,
        "asset_path": "assets/a.png",
        "number": 1,
        "unit_id": "einstieg",
        "code": "AAAA-BBBB-CCCC",
    }
    for rule in rules(app):
        if rule.endpoint in PUBLIC:
            continue
        for method in methods(rule):
            response = request(client, method, _build(rule, ids))
            assert response.status_code == 302, (method, rule.rule, response.status_code)
            assert response.location.startswith("/login"), (method, rule.rule)


@pytest.mark.parametrize("area", sorted(AREA_ROLES))
def test_users_without_the_role_get_403(app, client, db, world, login, area):
    from tests.factories import make_user

    other_roles = [r for r in Role if r not in AREA_ROLES[area]]
    user = make_user(db, world.a.company, *other_roles, department=world.a.departments[0])
    login(user)
    ids = {"user_id": world.a.employees[0].id, "company_id": world.a.company.id}
    checked = 0
    for rule in rules(app):
        if rule.endpoint.split(".")[0] != area:
            continue
        for method in methods(rule):
            response = request(client, method, _build(rule, ids))
            assert response.status_code == 403, (method, rule.rule, response.status_code)
            checked += 1
    assert checked > 0


def _assignment_ids(db, setup, course):
    """A department assignment in `setup`'s company and one person's assignment from it."""
    from datetime import UTC, date, datetime

    from lms.models import ExternalRecord
    from lms.services.assignments import assign_to_group

    rule, _ = assign_to_group(
        db,
        setup.manager,
        setup.company,
        course,
        setup.departments[0],
        date(2099, 1, 1),
        "",
        datetime.now(UTC),
        today=date(2026, 1, 1),
    )
    row = rule_rows(db, rule)[0]
    record = ExternalRecord(
        company_id=setup.company.id,
        user_id=row.user_id,
        title="Erste Hilfe",
        completed_at=datetime.now(UTC),
        file_name="scan.pdf",
        file_type="application/pdf",
        file_size=5,
        file_data=b"%PDF-",
    )
    db.add(record)
    db.flush()
    return {
        "user_id": row.user_id,
        "rule_id": rule.id,
        "assignment_id": row.id,
        "record_id": record.id,
        "kind": "csv",
    }


def rule_rows(db, rule):
    from sqlalchemy import select

    from lms.models import Assignment

    return db.scalars(select(Assignment).where(Assignment.rule_id == rule.id)).all()


def test_routes_with_ids_refuse_other_companies_objects(app, client, db, world, login):
    """A manager of company A asks for objects of company B: 404, while A's own answer."""
    from lms.models import Course

    course = Course(slug="kurs")
    db.add(course)
    db.flush()
    own = _assignment_ids(db, world.a, course)
    foreign = _assignment_ids(db, world.b, course)
    for company in (world.a.company, world.b.company):
        company.managers_manage_people = True  # so that the people pages answer
    db.flush()
    login(world.a.manager)
    checked = 0
    # Every GET before any POST: a POST may change or delete the own object.
    walk = sorted(
        ((rule, method) for rule in rules(app) for method in methods(rule)),
        key=lambda pair: pair[1] == "POST",
    )
    for rule, method in walk:
        if rule.endpoint.split(".")[0] != "manage" or not rule.arguments & set(own) - {"kind"}:
            continue
        # Foreign first: a successful POST on the own object may change it.
        assert request(client, method, _build(rule, foreign)).status_code == 404, rule.rule
        if "user_id" in rule.arguments and len(rule.arguments) > 1:
            mixed = dict(own, user_id=foreign["user_id"])
            assert request(client, method, _build(rule, mixed)).status_code == 404, rule.rule
        if rule.arguments - set(own):
            continue  # needs objects this walk does not make (a course's unit): refusal only
        status = request(client, method, _build(rule, own)).status_code
        # A form posted empty is refused with its errors (422): it was let in.
        expected = 200 if method == "GET" else 422 if rule.endpoint in FORM_PAGES else 302
        assert status == expected, rule.rule
        checked += 1
    assert checked > 0


def test_manager_limited_to_departments_sees_only_those(client, world, login):
    login(world.a.limited_manager)
    warehouse, office = world.a.employees[0], world.a.employees[2]
    assert client.get(f"/team/people/{warehouse.id}").status_code == 200
    assert client.get(f"/team/people/{office.id}").status_code == 404
    page = client.get("/team/").get_data(as_text=True)
    assert warehouse.display_name in page and office.display_name not in page


def test_malformed_and_unknown_ids_answer_404(client, world, login):
    login(world.a.manager)
    assert client.get("/team/people/abc").status_code == 404
    assert client.get("/team/people/99999999").status_code == 404
    assert client.get("/team/people/-1").status_code == 404


def test_team_page_lists_only_the_own_company(client, world, login):
    login(world.a.manager)
    page = client.get("/team/").get_data(as_text=True)
    assert world.a.employees[0].display_name in page
    assert world.b.employees[0].display_name not in page
