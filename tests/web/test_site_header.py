"""The site header, kept per process for what it shows (issue 4): every change a
user can cause shows at once, and per-request values are never shared."""

from __future__ import annotations

import re

from lms.models import Role


def _header(page: str) -> str:
    return page[page.index('<header class="site-header">') : page.index("</header>")]


def _csrf_tokens(header: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', header))


def test_a_language_switch_shows_the_header_in_the_new_language(client, world, login):
    login(world.a.employees[0])
    header = _header(client.get("/learn/").get_data(as_text=True))
    assert "Meine Lernmodule" in header and "Abmelden" in header
    client.post("/language", data={"lang": "en", "next": "/learn/"})
    header = _header(client.get("/learn/").get_data(as_text=True))
    assert "My modules" in header and "Log out" in header and "Meine Lernmodule" not in header
    assert 'value="en" lang="en" aria-pressed="true"' in header


def test_a_renamed_company_and_a_new_role_show_at_once(client, db, world, login):
    user = world.a.employees[0]
    login(user)
    header = _header(client.get("/learn/").get_data(as_text=True))
    assert world.a.company.name in header and "/team" not in header
    world.a.company.name = "Umbenannt GmbH"
    user.grant(Role.MANAGER)
    db.flush()
    header = _header(client.get("/learn/").get_data(as_text=True))
    assert "Umbenannt GmbH" in header and 'href="/team/"' in header


def test_the_current_page_and_the_return_address_are_the_requests_own(client, world, login):
    login(world.a.manager)
    header = _header(client.get("/team/").get_data(as_text=True))
    assert re.search(r'href="/team/" aria-current="page"', header)
    assert 'name="next" value="/team/"' in header
    header = _header(client.get("/learn/?x=%3Cb%3E").get_data(as_text=True))
    assert re.search(r'href="/learn/" aria-current="page"', header)
    assert not re.search(r'href="/team/" aria-current', header)
    assert 'name="next" value="/learn/?x=%3Cb%3E"' in header


def test_every_session_gets_its_own_csrf_token(app, world, login):
    first, second = app.test_client(), app.test_client()
    login(world.a.employees[0], target=first)
    login(world.a.employees[1], target=second)
    one = _csrf_tokens(_header(first.get("/learn/").get_data(as_text=True)))
    two = _csrf_tokens(_header(second.get("/learn/").get_data(as_text=True)))
    assert len(one) == 1 and len(two) == 1 and one != two
    # The token in the header is the one the session accepts.
    (token,) = one
    assert first.post("/language", data={"lang": "en", "csrf_token": token}).status_code == 302


def test_anonymous_pages_have_no_account_navigation(client):
    header = _header(client.get("/login").get_data(as_text=True))
    assert "user-nav" not in header and "main-nav" not in header
    assert len(_csrf_tokens(header)) == 1
