"""The catalogue on the learner's start page: search, topic filter, topics on the cards."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from lms.content.importer import import_course
from lms.models import CourseCompany
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}


def course_md(title: str, summary: str, tags: str) -> str:
    return f"---\ntitle: {title}\nsummary: {summary}\nlanguage: de\ntags: {tags}\n---\n"


@pytest.fixture
def catalogue(app, db, world, tmp_path):
    """Three courses open to company A, one opened only to company B."""
    files = {
        "leitern": {
            "course.md": course_md(
                "Prüfung von Leitern", "Sicher steigen im Lager.", "[Arbeitssicherheit]"
            )
        },
        "datenschutz": {
            "course.md": course_md(
                "Datenschutz kompakt", "Daten im Alltag schützen.", "[Datenschutz, DSGVO]"
            ),
            "course.en.md": "---\ntitle: Data protection in brief\ntags: [Data protection]\n---\n",
            "01-einstieg.en.md": "---\ntype: lesson\ntitle: Start\n---\nText.\n",
        },
        "werkzeuge": {
            "course.md": course_md(
                "Tabellen und Tablets", "Digitale Werkzeuge im Betrieb.", "[Digitale Werkzeuge]"
            )
        },
        "geheim": {
            "course.md": course_md(
                "Geheimkurs Beta", "Nur für Beta.", "[Datenschutz, Digitale Werkzeuge]"
            )
        },
    }
    with app.test_request_context():
        imported = {
            slug: import_course(db, write_course(tmp_path, texts, slug), datetime.now(UTC))
            for slug, texts in files.items()
        }
    only_beta = imported["geheim"].version.course
    only_beta.shared = False
    db.add(CourseCompany(course_id=only_beta.id, company_id=world.b.company.id))
    db.flush()


def titles(page: str) -> list[str]:
    """The titles of the catalogue's cards, in order."""
    catalogue = page.split('id="catalogue-heading"', 1)[1]
    return re.findall(r'<h3[^>]*><a href="/learn/courses/[^"]+">([^<]+)</a></h3>', catalogue)


def start_page(client, query: str = "", headers=EN) -> str:
    return client.get(f"/learn/{query}", headers=headers).get_data(as_text=True)


def test_without_a_search_the_catalogue_shows_every_open_module_with_its_topics(
    client, world, login, catalogue
):
    login(world.a.employees[0])
    page = start_page(client)
    # Ordered by the main title; the English one shown where the module has it.
    assert titles(page) == [
        "Data protection in brief",
        "Prüfung von Leitern",
        "Tabellen und Tablets",
    ]
    assert 'role="search"' in page and 'name="q" value=""' in page
    # The topics in the page's language (English where the module has them), each a link.
    assert '<a href="/learn/?topic=Data+protection#catalogue-heading">Data protection</a>' in page
    assert (
        '<span lang="de"><a href="/learn/?topic=Arbeitssicherheit#catalogue-heading">'
        "Arbeitssicherheit</a></span>"
    ) in page
    assert '<option value="Digitale Werkzeuge">Digitale Werkzeuge (1)</option>' in page
    assert "Reset filters" not in page and "modules found" not in page


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("?q=leitern", ["Prüfung von Leitern"]),  # a word of the title, in any case
        ("?q=pr%C3%BCf", ["Prüfung von Leitern"]),  # "prüf" finds "Prüfung"
        ("?q=PR%C3%9CFUNG", ["Prüfung von Leitern"]),
        ("?q=im+alltag", ["Data protection in brief"]),  # every word, from the summary
        ("?q=digitale", ["Tabellen und Tablets"]),  # a topic
        ("?q=datenschutz+kompakt", ["Data protection in brief"]),  # the German texts too
    ],
)
def test_the_search_matches_title_summary_and_topics(client, world, login, catalogue, query, found):
    login(world.a.employees[0])
    page = start_page(client, query)
    assert titles(page) == found
    assert ("1 module found" if len(found) == 1 else f"{len(found)} modules found") in page
    assert "Reset filters" in page


def test_a_search_without_result_says_so_and_leads_back(client, world, login, catalogue):
    login(world.a.employees[0])
    page = start_page(client, "?q=Gabelstapler")
    assert titles(page) == []
    assert '<p role="status" class="catalogue__count">0 modules found</p>' in page
    assert "No module matches your search." in page
    assert '<a href="/learn/#catalogue-heading">Reset filters</a>' in page
    assert 'name="q" value="Gabelstapler"' in page  # kept in the field


def test_the_topic_filter_narrows_the_list_and_keeps_the_search(client, world, login, catalogue):
    login(world.a.employees[0])
    page = start_page(client, "?topic=Data+protection")
    assert titles(page) == ["Data protection in brief"]
    assert '<option value="Data protection" selected>Data protection (1)</option>' in page
    both = start_page(client, "?q=tab&topic=Digitale+Werkzeuge")
    assert titles(both) == ["Tabellen und Tablets"]
    assert 'name="q" value="tab"' in both and "1 module found" in both
    # A topic bookmarked on a German page still filters on an English one.
    assert titles(start_page(client, "?topic=datenschutz")) == ["Data protection in brief"]
    nothing = start_page(client, "?q=leitern&topic=Data+protection")
    assert titles(nothing) == [] and "No module matches your search." in nothing
    assert '<option value="Data protection" selected>Data protection (0)</option>' in nothing


def test_a_module_of_another_company_never_appears(app, client, world, login, catalogue):
    login(world.a.employees[0])
    for query in ("", "?q=geheim", "?q=beta", "?topic=Digitale+Werkzeuge"):
        page = start_page(client, query, DE)
        assert "Geheimkurs" not in page
    assert "Digitale Werkzeuge (1)" in start_page(client, "", DE)
    beta = login(world.b.employees[0], target=app.test_client())
    assert titles(start_page(beta, "?q=geheim", DE)) == ["Geheimkurs Beta"]
    assert "Digitale Werkzeuge (2)" in start_page(beta, "", DE)


def test_a_company_without_self_enrolment_shows_no_search(client, db, world, login, catalogue):
    world.a.company.self_enrolment = False
    db.flush()
    login(world.a.employees[0])
    page = start_page(client, "?q=leitern")
    assert 'role="search"' not in page and titles(page) == []
    assert "Your company assigns the modules you take" in page
