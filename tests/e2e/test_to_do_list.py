"""The manager's list of this week's to-dos (issue 19, point 4): people without an e-mail
address first, with the company's sign-in code; printed without the site's menus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.clock import today
from lms.models import Company, Course, Role, User
from lms.reports.compliance import cells_changed
from lms.services import assignments
from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import log_in

MANAGER = "sabine.krueger@mueller-metallbau.example"
NUMBER = "E2E-ToDo-1"


def _person_without_an_address(live_server: LiveServer) -> str:
    """A learner of the manager's company without an address, overdue; the company's code."""
    with live_server.app.app_context(), live_server.app.extensions["db"].begin() as session:
        manager = session.scalar(select(User).where(User.email == MANAGER))
        company = session.get_one(Company, manager.company_id)
        person = session.scalar(select(User).where(User.personnel_number == NUMBER))
        if person is None:
            person = User(
                email=None,
                display_name="Karl Ohnemail",
                personnel_number=NUMBER,
                company_id=company.id,
                department_id=manager.department_id,
                created_at=datetime.now(UTC),
            )
            person.grant(Role.LEARNER)
            session.add(person)
            session.flush()
            course = session.scalars(select(Course).order_by(Course.id)).first()
            assignments.assign_to_people(
                session,
                manager,
                course,
                [person],
                today() - timedelta(days=2),
                "",
                datetime.now(UTC),
            )
            cells_changed(session, company.id)
        assert company.sign_in_code
        return company.sign_in_code


def test_the_list_prints_without_menus_people_without_an_address_first(
    page: Page, live_server: LiveServer, screens
) -> None:
    code = _person_without_an_address(live_server)
    log_in(page, live_server, MANAGER)
    page.goto(live_server("/team/"))
    hint = page.locator(".team-hint")
    expect(hint).to_be_visible()
    screens(page, "to-do-team-hint")
    hint.get_by_role("link").click()
    expect(page).to_have_url(live_server("/team/to-do-this-week/"))
    expect(page.locator(".to-do__code strong")).to_have_text(code)
    first = page.locator(".to-do__group").first
    expect(first.get_by_role("rowheader", name="Karl Ohnemail")).to_be_visible()
    expect(first.get_by_role("cell", name=NUMBER)).to_be_visible()
    expect(page.locator("button[data-print]")).to_be_visible()  # shown by print-button.js
    screens(page, "to-do-list")

    page.emulate_media(media="print")
    for hidden in (".site-header", ".site-footer", "button[data-print]", ".to-do__screen"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".to-do__sign-in")).to_be_visible()
    colour = page.locator(".to-do__table .status").first.evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(0, 0, 0)"  # black on white, whatever the state
    screens(page, "to-do-list-print")


def test_the_list_reads_on_a_phone(new_page, live_server: LiveServer, screens) -> None:
    _person_without_an_address(live_server)
    phone = new_page(phone=True)
    log_in(phone, live_server, MANAGER)
    phone.goto(live_server("/team/to-do-this-week/"))
    expect(phone.get_by_text(NUMBER)).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width  # stacked cards, nothing to scroll sideways
    screens(phone, "to-do-list-phone")
