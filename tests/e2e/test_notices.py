"""A learner on a 360 px phone: the header's count of unread notices, the notices page,
opening a notice and marking all read (issue 18, point 19)."""

from __future__ import annotations

import re

from tests.e2e.conftest import PHONE, LiveServer
from tests.e2e.test_browser import BY_ROLE, log_in, scroll_width

try:
    from playwright.sync_api import Page, expect
except ModuleNotFoundError:  # conftest skips every test (or fails them with LMS_E2E_REQUIRED=1)
    Page = expect = None  # type: ignore[assignment,misc]

LEARNER = BY_ROLE["learner"].email


def test_a_learner_reads_their_notices_on_a_phone(
    phone_page: Page, live_server: LiveServer, screens
) -> None:
    log_in(phone_page, live_server, LEARNER)
    # The words of the English page; the choice is kept on the account, so it is undone.
    phone_page.get_by_role("button", name="English").click()
    try:
        _read_notices(phone_page, live_server, screens)
    finally:
        phone_page.get_by_role("button", name="Deutsch").click()


def _read_notices(phone_page: Page, live_server: LiveServer, screens) -> None:
    # The demo's assignment is a notice: counted in the header, read out as "… unread".
    counted = phone_page.get_by_role("link", name=re.compile(r"^Notices\W+\d+ unread$"))
    expect(counted).to_be_visible()
    box = counted.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]

    counted.click()
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Notices")
    unread = phone_page.locator(".notices-item--unread")
    expect(unread.first).to_contain_text("Unread")  # in words, not by colour alone
    assert scroll_width(phone_page) <= PHONE["width"]
    screens(phone_page, "notices-phone-360")

    # Opening a notice marks it read and leads to its module (or a unit of it).
    before = unread.count()
    unread.first.get_by_role("button").click()
    expect(phone_page).to_have_url(re.compile(r"/learn/courses/[^/]+(/[^/]+)?$"))
    phone_page.goto(live_server("/notices/"))
    expect(phone_page.locator(".notices-item--unread")).to_have_count(before - 1)

    if before > 1:
        phone_page.get_by_role("button", name="Mark all as read").click()
    expect(phone_page.get_by_text("You have read every notice.")).to_be_visible()
    expect(phone_page.get_by_role("link", name="Notices", exact=True)).to_be_visible()
