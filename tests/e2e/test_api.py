"""The REST API end to end: an admin reads the reference in the browser and an HR system
lists people over HTTP with a company's token; the token never reaches another company."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.audit.service import Actor
from lms.models import Company, TokenKind, TokenScope, User
from lms.tokens import service as tokens
from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import log_in


def test_the_admin_reads_the_reference_and_a_token_lists_its_company(
    page: Page, live_server: LiveServer, screens
) -> None:
    log_in(page, live_server, "admin@zukunftszentrum.example")
    page.goto(live_server("/admin/platform"))
    page.locator("a[href='/admin/platform/api/']").click()
    expect(page.locator("h1")).to_have_count(1)
    page.locator("a[href='#op-createAssignment']").click()
    expect(page.locator("#op-createAssignment")).to_be_in_viewport()
    expect(page.locator("#op-createAssignment ~ pre").first).to_contain_text("curl -X POST")
    screens(page, "api-reference")

    app = live_server.app
    with app.app_context(), app.extensions["db"].begin() as session:
        company = session.scalar(select(Company).order_by(Company.id))
        other = session.scalar(select(Company).where(Company.id != company.id))
        created = tokens.create(session, Actor.command(), TokenKind.API, company, "E2E",
                                datetime.now(UTC), scope=TokenScope.READ)  # fmt: skip
        value, company_id, other_id = created.value, company.id, other.id
        stranger = session.scalar(select(User.id).where(User.company_id == other_id))
    headers = {"Authorization": f"Bearer {value}"}
    answer = page.request.get(live_server("/api/v1/people?limit=200"), headers=headers)
    assert answer.status == 200 and answer.headers["content-type"] == "application/json"
    people = answer.json()["items"]
    assert people and {p["company_id"] for p in people} == {company_id}
    foreign = page.request.get(live_server(f"/api/v1/people/{stranger}"), headers=headers)
    assert foreign.status == 404
    assert foreign.headers["content-type"] == "application/problem+json"
    refused = page.request.post(live_server("/api/v1/assignments"), headers=headers, data={})
    assert refused.status == 403
